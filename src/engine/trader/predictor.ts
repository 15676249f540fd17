/**
 * The plug points of self-learning (BLUEPRINT "Self-learning"): a `Predictor` gives the
 * win probability and confidence of a proposed signal, an `ExitAdvisor` may close an open
 * position early ('model' exit). Both are injected through `TraderDeps`; without them the
 * Trader predicts from the per-rule statistics and has no model exits, as before a model exists.
 */
import type { Features } from '../features.js';
import type { Candle, ExchangePosition, TradeRecord } from '../types.js';
import type { ManagedPosition, Prediction } from '../ports.js';
import type { RuleStatistics } from '../rule-stats.js';
import type { Signal } from '../signals.js';

export interface PredictionRequest {
  readonly symbol: string;
  /** The proposed signal, with the features of the candle that produced it. */
  readonly signal: Signal;
  /** Close time of that candle: the decision time. */
  readonly decidedAt: number;
  /** The label of the mode decisions are made in (effectiveMode), e.g. 'rules (no model yet)'. */
  readonly modeLabel: string;
  /** The per-rule win/loss counts of closed trades (the fallback predictor reads them). */
  readonly ruleStatistics: RuleStatistics;
}

export interface Predictor {
  /** May return a promise; a synchronous answer adds no await to the entry path. */
  predict(request: PredictionRequest): Prediction | Promise<Prediction>;
  /** True while a promoted model predicts: the effective mode is then self_learning (default: never). */
  modelReady?(): boolean;
  /**
   * Every closed candle of a traded symbol with the signal the rule generator gave on it (null:
   * none), before any entry is tried: the learner's features and counterfactual labels.
   * `decidedAt` is the candle's close time. Warm-up candles come with `signal` null.
   */
  observe?(symbol: string, candle: Candle, signal: Signal | null, decidedAt: number): void;
  /** A trade closed (after it was recorded): its realised outcome for the learner. */
  onTradeClosed?(trade: TradeRecord): void;
}

export interface ExitAdviceRequest {
  readonly position: ManagedPosition;
  /** The exchange's view of the position at this tick (mark price, liquidation price). */
  readonly onExchange: ExchangePosition;
  readonly now: number;
  /** The mode decisions are made in now (effectiveMode's label), e.g. 'self_learning' or 'rules (grade C)'. */
  readonly modeLabel: string;
  /** The rule generator's features of the symbol's last closed candle (null while warming up). */
  readonly features: Features | null;
}

export interface ExitAdvisor {
  /**
   * Asked at each controller tick for every open position that has no other exit reason
   * (requested, liquidation risk, time stop, reversal). 'model' closes it now; synchronous,
   * so a model must answer from what it already computed.
   */
  adviseExit(request: ExitAdviceRequest): 'model' | null;
}

/** Today's predictor: per-rule statistics with a strength prior (rule-stats.ts). */
export const ruleStatisticsPredictor: Predictor = {
  predict({ signal, modeLabel, ruleStatistics }: PredictionRequest): Prediction {
    const { winProbability, confidence } = ruleStatistics.predict(signal);
    return { winProbability, confidence, modelVersion: null, source: modeLabel };
  },
};
