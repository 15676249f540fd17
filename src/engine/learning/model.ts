/**
 * The learned model as data (what is stored, promoted and rolled back), the ports the
 * engine uses to train and score it, and the promotion rule. No library here: the
 * XGBoost adapter (src/adapters/predictor/) implements the ports.
 */
import type { PlattCalibration } from './evaluation.js';
import type { Sample } from './labels.js';

/** Out-of-sample figures of a model on the recent window it was judged on. */
export interface ModelMetrics {
  /** Samples in the training, calibration and recent out-of-sample (validation) slices. */
  readonly trainSamples: number;
  readonly calibrationSamples: number;
  readonly validationSamples: number;
  /** Base rate of the labels the model was trained on (the constant predictor). */
  readonly baseRate: number;
  readonly logLoss: number;
  readonly logLossConstant: number;
  /** The model in use before, on the same window; null when there was none. */
  readonly logLossCurrent: number | null;
  readonly auc: number | null;
  readonly aucLow: number | null;
  readonly aucHigh: number | null;
  readonly ece: number;
  /** Whether confidence ranked outcomes on the window (see `confidenceRanks`). */
  readonly confidenceRanks: boolean;
}

/** What is stored per model version (XGBoost's binary model as base64: < 100 KB in all). */
export interface ModelArtifact {
  readonly version: string;
  readonly createdAt: number;
  readonly featureNames: readonly string[];
  readonly params: Readonly<Record<string, string | number>>;
  readonly rounds: number;
  readonly boosterBase64: string;
  readonly calibration: PlattCalibration;
  /** 101 quantiles of the calibrated p on the held-out calibration slice: what `confidence` ranks against. */
  readonly confidenceReference: readonly number[];
  readonly metrics: ModelMetrics;
  /** Decision time of the newest sample the model saw (training, calibration or validation). */
  readonly dataUntil: number;
}

export interface ModelScore {
  /** Calibrated win probability of the proposed side. */
  readonly winProbability: number;
  /** See `confidenceFromReference`. */
  readonly confidence: number;
}

/** A loaded model on the main thread. `free()` releases its WASM memory. */
export interface ModelScorer {
  readonly artifact: ModelArtifact;
  score(vector: Float32Array): ModelScore;
  free(): void;
}

export interface TrainRequest {
  readonly samples: readonly Sample[];
  /** The model in use, judged on the same recent window; null when none. */
  readonly current: ModelArtifact | null;
  readonly nowMs: number;
  readonly version: string;
}

export type TrainOutcome =
  | { readonly kind: 'trained'; readonly artifact: ModelArtifact; readonly elapsedMs: number; readonly peakRssMb: number }
  | { readonly kind: 'skipped'; readonly reason: string };

/** Training and loading, implemented by the XGBoost adapter (training in a worker thread). */
export interface ModelRuntime {
  train(request: TrainRequest): Promise<TrainOutcome>;
  load(artifact: ModelArtifact): Promise<ModelScorer>;
}

export interface PromotionDecision {
  readonly promote: boolean;
  readonly reason: string;
}

/**
 * Safe promotion (issue 14 §6): a new model replaces the current one only when it beats
 * BOTH the constant predictor (the training base rate) and the current model in log loss on
 * the same recent out-of-sample window.
 */
export function decidePromotion(metrics: ModelMetrics): PromotionDecision {
  const f = (x: number): string => x.toFixed(5);
  if (!(metrics.validationSamples > 0) || !Number.isFinite(metrics.logLoss)) {
    return { promote: false, reason: 'no out-of-sample window to judge the model on' };
  }
  if (!(metrics.logLoss < metrics.logLossConstant)) {
    return {
      promote: false,
      reason: `log loss ${f(metrics.logLoss)} is not better than the constant predictor's ${f(metrics.logLossConstant)}`,
    };
  }
  if (metrics.logLossCurrent !== null && !(metrics.logLoss < metrics.logLossCurrent)) {
    return { promote: false, reason: `log loss ${f(metrics.logLoss)} is not better than the current model's ${f(metrics.logLossCurrent)}` };
  }
  return {
    promote: true,
    reason: `log loss ${f(metrics.logLoss)} beats the constant predictor (${f(metrics.logLossConstant)})${metrics.logLossCurrent === null ? '' : ` and the current model (${f(metrics.logLossCurrent)})`}`,
  };
}

/**
 * Retirement: the model in force is judged again at every retrain on the newest window. When
 * it is no longer better than the constant predictor there (and no new model replaces it),
 * it is retired: the bot goes back to the base rate / per-rule statistics rather than keep
 * trading on a model that now does worse than knowing nothing. Null: keep it.
 */
export function retirementReason(metrics: ModelMetrics): string | null {
  if (metrics.logLossCurrent === null || !(metrics.validationSamples > 0)) return null;
  if (metrics.logLossCurrent < metrics.logLossConstant) return null;
  return `the model in force scores log loss ${metrics.logLossCurrent.toFixed(5)} on the newest window, not better than the constant predictor's ${metrics.logLossConstant.toFixed(5)}: retired`;
}

/** The numbers stored with a version (ModelVersionRecord.metrics is a flat record of numbers). */
export function flatMetrics(metrics: ModelMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    else if (typeof value === 'boolean') out[key] = value ? 1 : 0;
  }
  return out;
}
