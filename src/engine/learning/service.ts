/**
 * Self-learning in the running engine: labels every proposed signal, retrains off the event
 * loop (a worker thread, through the ModelRuntime port) on a schedule and after N new labels,
 * promotes a new model only when it beats the constant predictor and the current model out of
 * sample, retires the model in force when it no longer beats the constant on the newest window, keeps every version with its metrics, reloads the last good model on restart, rolls
 * back in one call, and predicts on the main thread with the promoted model.
 *
 * Without a promoted model (or with STRATEGY_MODE=rules, handled by the Trader), the per-rule
 * statistics stand in, as before. ENABLE_SELF_LEARNING=false: no training, a stored model is
 * still used.
 */
import type { Clock, Logger, StoredDocument } from '../ports.js';
import type { Features } from '../features.js';
import type { Signal, SignalRule } from '../signals.js';
import type { Candle, Side, SymbolRules, TradeRecord } from '../types.js';
import { stopDistances } from '../pipeline.js';
import type { SignalLearner } from './learner.js';
import { proposalId, type Sample } from './labels.js';
import {
  decidePromotion,
  flatMetrics,
  retirementReason,
  type ModelArtifact,
  type ModelRuntime,
  type ModelScorer,
  type PromotionDecision,
} from './model.js';
import { SampleRing } from './samples.js';

/** One stored model version (the shape of the store's model-version repository). */
export interface ModelVersionEntry {
  readonly version: string;
  readonly createdAt: number;
  readonly promoted: boolean;
  readonly metrics: Readonly<Record<string, number>>;
  readonly model: unknown;
}

/** Model versions (implemented by the keyv store's `modelVersions`). */
export interface ModelVersionStore {
  put(record: ModelVersionEntry): Promise<void>;
  get(version: string): Promise<ModelVersionEntry | null>;
  list(): Promise<Omit<ModelVersionEntry, 'model'>[]>;
  latest(options?: { readonly promotedOnly?: boolean }): Promise<ModelVersionEntry | null>;
}

/** Where the labelled samples are persisted (the store's `learning:samples` document). */
export type SampleArchive = StoredDocument;

export interface LearningSettings {
  /** ENABLE_SELF_LEARNING: false = no training (a stored model is still used). */
  readonly enableSelfLearning: boolean;
  /** Retrain after this many new labels … */
  readonly retrainEveryLabels: number;
  /** … or this long after the last training (whichever first). */
  readonly retrainIntervalMs: number;
}

export const DEFAULT_LEARNING_SETTINGS: LearningSettings = Object.freeze({
  enableSelfLearning: true,
  retrainEveryLabels: 500,
  retrainIntervalMs: 7 * 86_400_000,
});

export interface ModelPrediction {
  readonly winProbability: number;
  readonly confidence: number;
  readonly modelVersion: string;
  /** Whether this model's confidence ranked outcomes on its validation window (else it may not raise leverage). */
  readonly confidenceRanks: boolean;
}

export interface LearningDeps {
  readonly learner: SignalLearner;
  readonly runtime: ModelRuntime;
  readonly versions: ModelVersionStore;
  readonly samples: SampleArchive;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rules: ReadonlyMap<string, SymbolRules>;
  readonly settings?: LearningSettings;
}

export interface TrainingReport {
  readonly outcome: 'promoted' | 'refused' | 'skipped';
  readonly version: string | null;
  readonly reason: string;
}

const isArtifact = (value: unknown): value is ModelArtifact =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as ModelArtifact).boosterBase64 === 'string' &&
  typeof (value as ModelArtifact).version === 'string';

export class LearningService {
  private scorer: ModelScorer | null = null;
  private training: Promise<TrainingReport> | null = null;
  private lastTrainingAt: number;
  private readonly log: Logger;
  private readonly settings: LearningSettings;
  private sequence = 0;

  constructor(private readonly deps: LearningDeps) {
    this.log = deps.logger.child('learning');
    this.settings = deps.settings ?? DEFAULT_LEARNING_SETTINGS;
    this.lastTrainingAt = deps.clock.now();
  }

  /** Reloads the stored samples and the last promoted model (a broken one is skipped, with a warning). */
  async start(): Promise<void> {
    try {
      const stored = await this.deps.samples.load();
      if (stored !== null && stored !== undefined) this.deps.learner.ring = SampleRing.fromJSON(stored, this.deps.learner.ring.capacity);
    } catch (error) {
      this.log.warn('stored learning samples could not be read; starting with none', { error: String(error) });
    }
    const promoted = (await this.deps.versions.list()).filter((v) => v.promoted);
    for (const summary of promoted) {
      const entry = await this.deps.versions.get(summary.version);
      if (entry === null || !isArtifact(entry.model)) continue;
      try {
        await this.use(entry.model);
        this.log.info('model reloaded', { version: entry.version });
        return;
      } catch (error) {
        this.log.warn('stored model could not be loaded; trying the previous one', { version: entry.version, error: String(error) });
      }
    }
    this.log.info('no promoted model: the per-rule statistics stand in');
  }

  /** The promoted model's artifact, or null (rules stand in). */
  get current(): ModelArtifact | null {
    return this.scorer?.artifact ?? null;
  }

  get hasModel(): boolean {
    return this.scorer !== null;
  }

  /**
   * A closed candle of `symbol` and the signal the rule generator gave on it (null: none).
   * Feeds the learner first, so the signal's vector uses this candle, then proposes the signal
   * for a counterfactual label (taken or not), then may start a training run (not awaited).
   */
  onCandle(symbol: string, candle: Candle, signal: Signal | null, decidedAt: number): void {
    try {
      this.observeCandle(symbol, candle, signal, decidedAt);
    } catch (error) {
      // Learning must never stop trading: a candle the learner refuses (out of order) is logged and skipped.
      this.log.warn('learner skipped a candle', { symbol, timestamp: candle.timestamp, error: String(error) });
    }
    this.maybeTrain();
  }

  private observeCandle(symbol: string, candle: Candle, signal: Signal | null, decidedAt: number): void {
    this.deps.learner.onCandle(symbol, candle);
    if (signal !== null) {
      const vector = this.deps.learner.vectorFor(symbol, signal);
      const tick = this.deps.rules.get(symbol)?.filters.tickSize;
      if (vector !== null && tick !== undefined) {
        // The distances the pipeline sets at 1x (self-learning leverage while p < 0.55 is 1–2x: ≤ 5 % wider).
        const distances = stopDistances(signal.closePrice, signal.baseSlPct, 1, tick);
        this.deps.learner.propose({
          symbol,
          signal,
          decidedAt,
          vector,
          slDistance: distances.slDistance,
          tpDistance: distances.tpDistance,
          taken: false,
        });
      }
    }
  }

  /** The promoted model's prediction for a signal at its candle; null without a model or on a bad input (rules stand in). */
  predict(symbol: string, signal: Pick<Signal, 'side' | 'rule' | 'features'>): ModelPrediction | null {
    const scorer = this.scorer;
    if (scorer === null) return null;
    const vector = this.deps.learner.vectorFor(symbol, signal);
    if (vector === null) return null;
    try {
      const score = scorer.score(vector);
      return { ...score, modelVersion: scorer.artifact.version, confidenceRanks: scorer.artifact.metrics.confidenceRanks };
    } catch (error) {
      this.log.warn('model prediction failed; the per-rule statistics stand in', { symbol, error: String(error) });
      return null;
    }
  }

  /** The labelled samples in the ring resolved by `nowMs` (the shadow score reads them). */
  labelled(nowMs: number): readonly Sample[] {
    return this.deps.learner.ring.all().filter((s) => s.resolvedAt <= nowMs);
  }

  /** Model exits: the promoted model's p for an open position's side and rule at the symbol's last candle. */
  scoreOpen(symbol: string, side: Side, rule: SignalRule, features: Features): ModelPrediction | null {
    return this.predict(symbol, { side, rule, features });
  }

  /** An entry was sent for the signal decided at `decidedAt`. */
  onEntry(symbol: string, decidedAt: number): void {
    this.deps.learner.markTaken(proposalId(symbol, decidedAt));
  }

  /** A trade closed: its realised outcome (net P&L > 0; R = pnl / planned risk) replaces the counterfactual label. */
  onTradeClosed(trade: TradeRecord, decidedAt: number): void {
    const outcomeR = trade.plannedRiskUsdt > 0 ? trade.pnlUsdt / trade.plannedRiskUsdt : trade.pnlUsdt > 0 ? 1 : -1;
    this.deps.learner.recordRealised(proposalId(trade.symbol, decidedAt), trade.pnlUsdt > 0, outcomeR, trade.closedAt);
  }

  /** Starts a training run when due (enough new labels or the interval passed); never awaited by the engine. */
  maybeTrain(): void {
    if (!this.settings.enableSelfLearning || this.training !== null) return;
    const now = this.deps.clock.now();
    const ring = this.deps.learner.ring;
    const due =
      ring.newSinceTraining >= this.settings.retrainEveryLabels ||
      (now - this.lastTrainingAt >= this.settings.retrainIntervalMs && ring.newSinceTraining > 0);
    if (!due) return;
    void this.train().catch((error: unknown) => this.log.error('training failed', { error: String(error) }));
  }

  /** One training run now (also `/model retrain`); resolves with what happened. */
  train(): Promise<TrainingReport> {
    if (!this.settings.enableSelfLearning)
      return Promise.resolve({ outcome: 'skipped', version: null, reason: 'ENABLE_SELF_LEARNING is false' });
    this.training ??= this.runTraining().finally(() => {
      this.training = null;
    });
    return this.training;
  }

  private async runTraining(): Promise<TrainingReport> {
    const now = this.deps.clock.now();
    this.lastTrainingAt = now;
    const ring = this.deps.learner.ring;
    const samples = ring.all();
    ring.newSinceTraining = 0;
    const version = `m-${new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15)}-${++this.sequence}`;
    const outcome = await this.deps.runtime.train({ samples, current: this.current, nowMs: now, version });
    await this.saveSamples();
    if (outcome.kind === 'skipped') {
      this.log.info('training skipped', { reason: outcome.reason });
      return { outcome: 'skipped', version: null, reason: outcome.reason };
    }
    const decision: PromotionDecision = decidePromotion(outcome.artifact.metrics);
    await this.deps.versions.put({
      version,
      createdAt: now,
      promoted: decision.promote,
      metrics: {
        ...flatMetrics(outcome.artifact.metrics),
        trainingMs: Math.round(outcome.elapsedMs),
        peakRssMb: Math.round(outcome.peakRssMb),
      },
      model: outcome.artifact,
    });
    this.log.info(decision.promote ? 'model promoted' : 'model not promoted', {
      version,
      reason: decision.reason,
      ...flatMetrics(outcome.artifact.metrics),
    });
    if (decision.promote) await this.use(outcome.artifact);
    else {
      const retired = this.current === null ? null : retirementReason(outcome.artifact.metrics);
      if (retired !== null) {
        await this.retire(retired);
        return { outcome: 'refused', version, reason: `${decision.reason}; ${retired}` };
      }
    }
    return { outcome: decision.promote ? 'promoted' : 'refused', version, reason: decision.reason };
  }

  /**
   * The model in force no longer beats the constant predictor on the newest window: it is
   * marked not promoted (not reloaded on restart) and the per-rule statistics stand in until a
   * new model earns promotion.
   */
  private async retire(reason: string): Promise<void> {
    const from = this.current?.version ?? null;
    if (from === null) return;
    const entry = await this.deps.versions.get(from);
    if (entry !== null) await this.deps.versions.put({ ...entry, promoted: false });
    this.scorer?.free();
    this.scorer = null;
    this.log.warn('model retired: the per-rule statistics stand in', { version: from, reason });
  }

  /**
   * Rollback, one call: the current model is marked not promoted and the previous promoted
   * version (if any) is loaded; with none, the per-rule statistics stand in.
   */
  async rollback(): Promise<{ from: string | null; to: string | null }> {
    const from = this.current?.version ?? null;
    if (from !== null) {
      const entry = await this.deps.versions.get(from);
      if (entry !== null) await this.deps.versions.put({ ...entry, promoted: false });
    }
    this.scorer?.free();
    this.scorer = null;
    const previous = (await this.deps.versions.list()).filter((v) => v.promoted && v.version !== from);
    for (const summary of previous) {
      const entry = await this.deps.versions.get(summary.version);
      if (entry === null || !isArtifact(entry.model)) continue;
      try {
        await this.use(entry.model);
        break;
      } catch (error) {
        this.log.warn('previous model could not be loaded', { version: entry.version, error: String(error) });
      }
    }
    const to = this.current?.version ?? null;
    this.log.warn('model rolled back', { from, to: to ?? 'rules' });
    return { from, to };
  }

  async saveSamples(): Promise<void> {
    try {
      await this.deps.samples.save(this.deps.learner.ring.toJSON());
    } catch (error) {
      this.log.warn('learning samples could not be saved', { error: String(error) });
    }
  }

  /** Waits for a training run in progress (shutdown, tests). */
  async idle(): Promise<void> {
    if (this.training !== null) await this.training.catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.idle();
    await this.saveSamples();
    this.scorer?.free();
    this.scorer = null;
  }

  private async use(artifact: ModelArtifact): Promise<void> {
    const next = await this.deps.runtime.load(artifact);
    const previous = this.scorer;
    this.scorer = next;
    previous?.free();
  }
}
