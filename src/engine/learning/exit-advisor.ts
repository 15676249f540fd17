/**
 * Model exits (BLUEPRINT "Position controller", POSITION_CONTROL_MODE=self_learning): at each
 * controller tick, an open position is re-scored by the PROMOTED model as if its signal were
 * proposed again on the symbol's last closed candle (same side, same rule, that candle's
 * features); when the win probability of the position's side has fallen below
 * MIN_WIN_PROBABILITY, the position is closed with exit reason `model`.
 *
 * No model exits: in any rules mode (STRATEGY_MODE=rules, grade C, no promoted model yet),
 * with POSITION_CONTROL_MODE=rules (the advisor is then not wired), for exploration trades
 * (their outcome is what they are for) and for positions adopted at start-up (no rule).
 * The score changes only when a candle closes (a prediction costs ~15 µs; nothing is cached).
 */
import type { Features } from '../features.js';
import type { Logger } from '../ports.js';
import { SIGNAL_RULES, type SignalRule } from '../signals.js';
import type { ExitAdviceRequest, ExitAdvisor } from '../trader/predictor.js';
import type { Side } from '../types.js';
import type { ModelPrediction } from './service.js';

/** What the advisor needs: whether a promoted model is in force, and its score of an open position. */
export interface OpenPositionScorer {
  readonly hasModel: boolean;
  /** The promoted model's prediction for `side` and `rule` at the symbol's last closed candle; null: cannot score. */
  scoreOpen?(symbol: string, side: Side, rule: SignalRule, features: Features): ModelPrediction | null;
}

const isRule = (rule: string): rule is SignalRule => (SIGNAL_RULES as readonly string[]).includes(rule);

export class ModelExitAdvisor implements ExitAdvisor {
  private readonly log: Logger | null;

  constructor(
    private readonly source: OpenPositionScorer,
    private readonly minWinProbability: number,
    logger?: Logger,
  ) {
    if (!(minWinProbability >= 0 && minWinProbability <= 1))
      throw new RangeError(`minWinProbability must be 0–1, got ${minWinProbability}`);
    this.log = logger?.child('learning') ?? null;
  }

  adviseExit({ position, modeLabel, features }: ExitAdviceRequest): 'model' | null {
    if (modeLabel !== 'self_learning' || !this.source.hasModel || this.source.scoreOpen === undefined) return null;
    if (position.exploration || position.adopted || features === null || !isRule(position.rule)) return null;
    const score = this.source.scoreOpen(position.symbol, position.side, position.rule, features);
    const exit = score !== null && score.winProbability < this.minWinProbability;
    if (exit && score !== null) {
      this.log?.info(
        `${position.symbol}: model exit, p ${score.winProbability.toFixed(3)} < MIN_WIN_PROBABILITY ${this.minWinProbability}`,
        {
          symbol: position.symbol,
          side: position.side,
          winProbability: score.winProbability,
          modelVersion: score.modelVersion,
        },
      );
    }
    return exit ? 'model' : null;
  }
}
