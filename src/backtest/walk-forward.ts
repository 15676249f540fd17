/**
 * Walk-forward evaluation of the self-learning model (`--strategy self_learning`).
 *
 *  1. `collectSignalSamples` replays the data through the very same rule generator and
 *     learner the live engine uses: every proposed signal gets its model input at its candle
 *     close and its counterfactual label (TP before SL within the time stop, at the SL/TP
 *     distances the pipeline sets at 1x; self-learning leverage is 1–2x while p < 0.55, which
 *     widens the stop by at most 5 %).
 *  2. `walkForward` retrains on a schedule (default every 30 days, expanding window) on the
 *     labels RESOLVED before each retrain time only, and predicts every signal decided until
 *     the next retrain: each prediction is out of sample. Each fit is judged for promotion as
 *     live (beats the constant predictor and the current model on its recent window); the
 *     model in force is retired when it no longer beats the constant on the newest window.
 *  3. The report measures what was IN FORCE for each signal (the promoted model's p, or the
 *     constant — the latest training window's base rate — where none was), next to the
 *     candidate models' own figures (labelled as such).
 *
 * Funding is left unknown (fundingKnown = 0) here as in live, where the market data carries
 * no funding rate yet: a feature the live engine cannot see must not be learned.
 */
import { NotEnoughSamplesError, fitModel, XgbScorer, type FitOptions } from '../adapters/predictor/fit.js';
import type { SymbolHistory } from '../adapters/data/index.js';
import { proposalId, type Sample } from '../engine/learning/labels.js';
import type { ModelSource } from '../engine/learning/predictor.js';
import type { ModelPrediction } from '../engine/learning/service.js';
import type { Clock } from '../engine/ports.js';
import type { Features } from '../engine/features.js';
import type { Signal, SignalRule } from '../engine/signals.js';
import { SignalLearner } from '../engine/learning/learner.js';
import { decidePromotion, retirementReason, type ModelArtifact, type ModelMetrics } from '../engine/learning/model.js';
import { stopDistances } from '../engine/pipeline.js';
import { RuleBasedSignalGenerator } from '../engine/signals.js';
import type { Candle, Side, SymbolRules } from '../engine/types.js';

export const DEFAULT_RETRAIN_EVERY_MS = 30 * 86_400_000;

export interface CollectOptions {
  readonly history: ReadonlyMap<string, SymbolHistory>;
  readonly rules: ReadonlyMap<string, SymbolRules>;
  readonly timeStopMs: number;
  readonly takerFeeRate: number;
}

const CANDLE_MS = 5 * 60_000;

/** Every proposed signal of the data with its model input and counterfactual label, by decision time. */
export function collectSignalSamples(options: CollectOptions): Sample[] {
  const samples: Sample[] = [];
  for (const [symbol, history] of options.history) {
    const tickSize = options.rules.get(symbol)?.filters.tickSize ?? 1e-8;
    const generator = new RuleBasedSignalGenerator();
    const learner = new SignalLearner({ timeStopMs: options.timeStopMs, roundTripFeeRate: 2 * options.takerFeeRate, capacity: 1_000_000 });
    for (const candle of history.candles) {
      samples.push(...learner.onCandle(symbol, candle));
      const signal = generator.update(candle);
      if (signal === null) continue;
      const vector = learner.vectorFor(symbol, signal, null);
      if (vector === null) continue;
      const distances = stopDistances(signal.closePrice, signal.baseSlPct, 1, tickSize);
      learner.propose({
        symbol,
        signal,
        decidedAt: candle.timestamp + CANDLE_MS,
        vector,
        slDistance: distances.slDistance,
        tpDistance: distances.tpDistance,
        taken: false,
      });
    }
  }
  return samples.sort((a, b) => a.decidedAt - b.decidedAt || (a.id < b.id ? -1 : 1));
}

export interface WalkForwardOptions {
  readonly retrainEveryMs?: number;
  readonly fit?: FitOptions;
  /** Called after each retrain (progress). */
  readonly onModel?: (model: WalkModel) => void;
}

export interface WalkModel {
  readonly version: string;
  /** The retrain time: only labels resolved before it were used. */
  readonly trainedAt: number;
  readonly metrics: ModelMetrics;
  readonly promoted: boolean;
  readonly reason: string;
  /** The model in force before this retrain was retired (no longer better than the constant); null: not. */
  readonly retired: string | null;
  /** The promoted model in force from this retrain on (null: none, the constant stands in). */
  readonly inForce: string | null;
}

export interface WalkPrediction {
  /** Index into the samples given to `walkForward`. */
  readonly sample: number;
  /** The latest fitted model's calibrated p (the CANDIDATE: promoted or not). */
  readonly winProbability: number;
  readonly confidence: number;
  /** Whether that model ranks by confidence on its own recent window. */
  readonly confidenceRanks: boolean;
  /** Base rate of the latest training window: the constant predictor at that time. */
  readonly baseRate: number;
  readonly modelVersion: string;
  /** p and confidence of the PROMOTED model in force at that time (what the engine uses); null when none is. */
  readonly promoted: {
    readonly winProbability: number;
    readonly confidence: number;
    readonly version: string;
    readonly confidenceRanks: boolean;
  } | null;
  /** The prediction in force: the promoted model's p, else the constant (`baseRate`). */
  readonly inForceProbability: number;
}

export interface WalkForwardResult {
  readonly predictions: WalkPrediction[];
  readonly models: WalkModel[];
  /** The promoted models by version (the engine replay re-scores open positions with them: model exits). */
  readonly promotedArtifacts: ReadonlyMap<string, ModelArtifact>;
  /** Why no model could be fitted, when none could. */
  readonly note: string | null;
}

/**
 * Retrains on a schedule on labels resolved before each retrain time; predicts until the next
 * one. A candidate is promoted as live (beats the constant and the model in force on its
 * recent window); a model in force that no longer beats the constant there is retired.
 */
export async function walkForward(samples: readonly Sample[], options: WalkForwardOptions = {}): Promise<WalkForwardResult> {
  const every = options.retrainEveryMs ?? DEFAULT_RETRAIN_EVERY_MS;
  const predictions: WalkPrediction[] = [];
  const models: WalkModel[] = [];
  const promotedArtifacts = new Map<string, ModelArtifact>();
  if (samples.length === 0) return { predictions, models, promotedArtifacts, note: 'no proposed signals in the data' };
  const start = samples[0]!.decidedAt;
  const end = samples.at(-1)!.decidedAt;
  let candidate: XgbScorer | null = null;
  let promoted: XgbScorer | null = null;
  const release = (scorer: XgbScorer | null): void => {
    if (scorer !== null && scorer !== candidate && scorer !== promoted) scorer.free();
  };
  let lastNote: string | null = null;
  let next = 0;
  try {
    for (let trainAt = start + every; trainAt <= end; trainAt += every) {
      while (next < samples.length && (samples[next] as Sample).decidedAt < trainAt) {
        if (candidate !== null) predictions.push(predict(next, samples[next] as Sample, candidate, promoted));
        next++;
      }
      const known = samples.filter((s) => s.resolvedAt < trainAt);
      const version = `wf-${new Date(trainAt).toISOString().slice(0, 10)}`;
      let artifact: ModelArtifact;
      try {
        artifact = await fitModel(known, promoted?.artifact ?? null, version, trainAt, options.fit ?? {});
      } catch (error) {
        if (error instanceof NotEnoughSamplesError) {
          lastNote = error.message;
          continue;
        }
        throw error;
      }
      const decision = decidePromotion(artifact.metrics);
      const retired = decision.promote ? null : retirementReason(artifact.metrics);
      const scorer = await XgbScorer.fromArtifact(artifact);
      const previousCandidate = candidate;
      const previousPromoted = promoted;
      candidate = scorer;
      if (decision.promote) {
        promoted = scorer;
        promotedArtifacts.set(version, artifact);
      } else if (retired !== null) promoted = null;
      release(previousCandidate);
      if (previousPromoted !== previousCandidate) release(previousPromoted);
      const model: WalkModel = {
        version,
        trainedAt: trainAt,
        metrics: artifact.metrics,
        promoted: decision.promote,
        reason: decision.reason,
        retired,
        inForce: promoted?.artifact.version ?? null,
      };
      models.push(model);
      options.onModel?.(model);
    }
    while (next < samples.length) {
      if (candidate !== null) predictions.push(predict(next, samples[next] as Sample, candidate, promoted));
      next++;
    }
  } finally {
    const c = candidate;
    const pr = promoted;
    candidate = null;
    promoted = null;
    c?.free();
    if (pr !== c) pr?.free();
  }
  return {
    predictions,
    models,
    promotedArtifacts,
    note: models.length === 0 ? (lastNote ?? 'the data ends before the first retrain time') : null,
  };
}

function predict(index: number, sample: Sample, candidate: XgbScorer, promoted: XgbScorer | null): WalkPrediction {
  const score = candidate.score(sample.vector);
  const promotedScore = promoted === null ? null : promoted === candidate ? score : promoted.score(sample.vector);
  const baseRate = candidate.artifact.metrics.baseRate;
  return {
    sample: index,
    winProbability: score.winProbability,
    confidence: score.confidence,
    confidenceRanks: candidate.artifact.metrics.confidenceRanks,
    baseRate,
    modelVersion: candidate.artifact.version,
    promoted:
      promoted === null || promotedScore === null
        ? null
        : { ...promotedScore, version: promoted.artifact.version, confidenceRanks: promoted.artifact.metrics.confidenceRanks },
    inForceProbability: promotedScore === null ? baseRate : promotedScore.winProbability,
  };
}

/**
 * The walk-forward predictions as the engine's model source: for each signal, the model that
 * was PROMOTED at its decision time (trained on labels resolved before it), exactly as live;
 * for an open position (model exits), that same model scores the position's side and rule on
 * the last closed candle (the source keeps its own learner, fed by the engine's candles).
 * `free()` releases the loaded models.
 */
export class WalkForwardSource implements ModelSource {
  private readonly byId = new Map<string, WalkPrediction>();
  /** Retrain times, ascending, with the promoted model in force from then on (null: none). */
  private readonly timeline: readonly { readonly at: number; readonly inForce: string | null }[];
  private readonly scorers = new Map<string, XgbScorer>();
  private readonly learner: SignalLearner;

  private constructor(
    private readonly samples: readonly Sample[],
    walk: WalkForwardResult,
    private readonly clock: Pick<Clock, 'now'>,
    timeStopMs: number,
  ) {
    for (const p of walk.predictions) this.byId.set((samples[p.sample] as Sample).id, p);
    this.timeline = walk.models.map((m) => ({ at: m.trainedAt, inForce: m.inForce }));
    this.learner = new SignalLearner({ timeStopMs, roundTripFeeRate: 0 });
  }

  static async create(
    samples: readonly Sample[],
    walk: WalkForwardResult,
    clock: Pick<Clock, 'now'>,
    timeStopMs = 24 * 3_600_000,
  ): Promise<WalkForwardSource> {
    const source = new WalkForwardSource(samples, walk, clock, timeStopMs);
    try {
      for (const [version, artifact] of walk.promotedArtifacts) source.scorers.set(version, await XgbScorer.fromArtifact(artifact));
    } catch (error) {
      source.free();
      throw error;
    }
    return source;
  }

  private inForceNow(): string | null {
    const now = this.clock.now();
    let inForce: string | null = null;
    for (const step of this.timeline) {
      if (step.at > now) break;
      inForce = step.inForce;
    }
    return inForce;
  }

  /** A promoted model is in force at the engine's clock (promoted at a retrain before now, not retired since). */
  get hasModel(): boolean {
    return this.inForceNow() !== null;
  }

  predict(symbol: string, _signal: Signal, decidedAt: number): ModelPrediction | null {
    const promoted = this.byId.get(proposalId(symbol, decidedAt))?.promoted ?? null;
    if (promoted === null) return null;
    return {
      winProbability: promoted.winProbability,
      confidence: promoted.confidence,
      modelVersion: promoted.version,
      confidenceRanks: promoted.confidenceRanks,
    };
  }

  /** The labels known at `nowMs` (the shadow score at grade C reads them). */
  labelled(nowMs: number): readonly Sample[] {
    return this.samples.filter((s) => s.resolvedAt <= nowMs);
  }

  onCandle(symbol: string, candle: Candle): void {
    this.learner.onCandle(symbol, candle);
  }

  scoreOpen(symbol: string, side: Side, rule: SignalRule, features: Features): ModelPrediction | null {
    const version = this.inForceNow();
    const scorer = version === null ? undefined : this.scorers.get(version);
    if (scorer === undefined) return null;
    const vector = this.learner.vectorFor(symbol, { side, rule, features }, null);
    if (vector === null) return null;
    const score = scorer.score(vector);
    return { ...score, modelVersion: scorer.artifact.version, confidenceRanks: scorer.artifact.metrics.confidenceRanks };
  }

  free(): void {
    for (const scorer of this.scorers.values()) scorer.free();
    this.scorers.clear();
  }
}
