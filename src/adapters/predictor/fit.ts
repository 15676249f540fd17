/**
 * One training run, the same in the worker thread (live) and in the walk-forward backtest:
 *
 *   samples ordered by decision time
 *   ├─ training slice      (labels resolved before the calibration slice starts)
 *   ├─ calibration slice   (labels resolved before the validation window starts): Platt + confidence reference
 *   └─ validation window   the most recent ~20 %: out-of-sample log loss of the candidate, the
 *                          constant predictor (training base rate) and the current model
 *
 * Purging by resolution time keeps a label that was only known later out of an earlier slice.
 */
import { MODEL_FEATURE_COUNT, MODEL_FEATURE_NAMES } from '../../engine/learning/features.js';
import {
  applyPlatt,
  auc,
  aucIntervalByDay,
  confidenceFromReference,
  confidenceRanks,
  expectedCalibrationError,
  fitPlatt,
  logLoss,
  quantiles,
} from '../../engine/learning/evaluation.js';
import type { Sample } from '../../engine/learning/labels.js';
import type { ModelArtifact, ModelMetrics, ModelScore, ModelScorer } from '../../engine/learning/model.js';
import { Booster, DEFAULT_ROUNDS, DEFAULT_XGB_PARAMS, MAX_TRAIN_ROWS, trainBooster, validateParams, type XgbParams } from './xgboost.js';

export interface FitOptions {
  readonly params?: XgbParams;
  readonly rounds?: number;
  /** Share of the samples in the validation window (default 0.2) and the calibration slice (0.2). */
  readonly validationShare?: number;
  readonly calibrationShare?: number;
  /** Below this many training samples no model is fitted (default 300). */
  readonly minTrainSamples?: number;
  readonly minSliceSamples?: number;
}

export const DEFAULT_MIN_TRAIN_SAMPLES = 300;

export class NotEnoughSamplesError extends Error {
  override readonly name = 'NotEnoughSamplesError';
}

function matrix(samples: readonly Sample[]): { data: Float32Array; labels: Float32Array } {
  const data = new Float32Array(samples.length * MODEL_FEATURE_COUNT);
  const labels = new Float32Array(samples.length);
  samples.forEach((s, i) => {
    data.set(s.vector, i * MODEL_FEATURE_COUNT);
    labels[i] = s.label;
  });
  return { data, labels };
}

/** A scorer over a loaded booster: calibrated p and confidence. */
export class XgbScorer implements ModelScorer {
  private constructor(
    readonly artifact: ModelArtifact,
    private readonly booster: Booster,
  ) {}

  static async fromArtifact(artifact: ModelArtifact): Promise<XgbScorer> {
    if (artifact.featureNames.join(',') !== MODEL_FEATURE_NAMES.join(',')) {
      throw new RangeError(`model ${artifact.version} was trained on another feature layout; it cannot be used`);
    }
    const booster = await Booster.load(new Uint8Array(Buffer.from(artifact.boosterBase64, 'base64')), MODEL_FEATURE_COUNT);
    return new XgbScorer(artifact, booster);
  }

  raw(vector: Float32Array): number {
    return this.booster.predict(vector);
  }

  score(vector: Float32Array): ModelScore {
    const winProbability = applyPlatt(this.artifact.calibration, this.booster.predict(vector));
    return { winProbability, confidence: confidenceFromReference(winProbability, this.artifact.confidenceReference) };
  }

  free(): void {
    this.booster.free();
  }
}

const round = (x: number, digits = 6): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Trains, calibrates and judges one candidate; throws NotEnoughSamplesError on too little data. */
export async function fitModel(
  samplesIn: readonly Sample[],
  current: ModelArtifact | null,
  version: string,
  nowMs: number,
  options: FitOptions = {},
): Promise<ModelArtifact> {
  const params = options.params ?? DEFAULT_XGB_PARAMS;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  validateParams(params as unknown as Record<string, unknown>, rounds);
  const minTrain = options.minTrainSamples ?? DEFAULT_MIN_TRAIN_SAMPLES;
  const minSlice = options.minSliceSamples ?? 50;
  // Newest first when capping, then back in time order.
  const samples = [...samplesIn].sort((a, b) => a.decidedAt - b.decidedAt).slice(-MAX_TRAIN_ROWS);
  const n = samples.length;
  const validationCount = Math.max(minSlice, Math.floor(n * (options.validationShare ?? 0.2)));
  const validation = samples.slice(n - validationCount);
  const validationStart = validation[0]?.decidedAt ?? Number.POSITIVE_INFINITY;
  const before = samples.slice(0, n - validationCount).filter((s) => s.resolvedAt <= validationStart);
  const calibrationCount = Math.max(minSlice, Math.floor(before.length * (options.calibrationShare ?? 0.2)));
  const calibration = before.slice(before.length - calibrationCount);
  const calibrationStart = calibration[0]?.decidedAt ?? Number.POSITIVE_INFINITY;
  const training = before.slice(0, before.length - calibrationCount).filter((s) => s.resolvedAt <= calibrationStart);
  if (training.length < minTrain || calibration.length < minSlice || validation.length < minSlice) {
    throw new NotEnoughSamplesError(
      `not enough labelled samples: ${training.length} training (need ${minTrain}), ${calibration.length} calibration and ${validation.length} validation (need ${minSlice} each)`,
    );
  }
  const train = matrix(training);
  const positives = train.labels.reduce((a, b) => a + b, 0);
  const baseRate = positives / training.length;
  if (positives === 0 || positives === training.length) throw new NotEnoughSamplesError('training labels are all of one class');
  const bytes = await trainBooster(train.data, train.labels, MODEL_FEATURE_COUNT, params, rounds);
  const booster = await Booster.load(bytes, MODEL_FEATURE_COUNT);
  let currentScorer: XgbScorer | null = null;
  try {
    const calibrationRaw = calibration.map((s) => booster.predict(s.vector));
    const platt = fitPlatt(calibrationRaw, calibration.map((s) => s.label));
    const reference = quantiles(calibrationRaw.map((r) => round(applyPlatt(platt, r))));
    const labels = validation.map((s) => s.label as number);
    const p = validation.map((s) => applyPlatt(platt, booster.predict(s.vector)));
    const confidences = p.map((x) => confidenceFromReference(x, reference));
    let logLossCurrent: number | null = null;
    if (current !== null) {
      try {
        currentScorer = await XgbScorer.fromArtifact(current);
        const scorer = currentScorer;
        logLossCurrent = logLoss(validation.map((s) => scorer.score(s.vector).winProbability), labels);
      } catch {
        logLossCurrent = null; // an unusable current model does not block a good new one
      }
    }
    const interval = aucIntervalByDay(p, labels, validation.map((s) => s.decidedAt));
    const metrics: ModelMetrics = {
      trainSamples: training.length,
      calibrationSamples: calibration.length,
      validationSamples: validation.length,
      baseRate: round(baseRate),
      logLoss: round(logLoss(p, labels)),
      logLossConstant: round(logLoss(labels.map(() => baseRate), labels)),
      logLossCurrent: logLossCurrent === null ? null : round(logLossCurrent),
      auc: auc(p, labels),
      aucLow: interval?.low ?? null,
      aucHigh: interval?.high ?? null,
      ece: round(expectedCalibrationError(p, labels)),
      confidenceRanks: confidenceRanks(confidences, labels, interval?.low ?? null),
    };
    return {
      version,
      createdAt: nowMs,
      featureNames: [...MODEL_FEATURE_NAMES],
      params: { ...params },
      rounds,
      boosterBase64: Buffer.from(bytes).toString('base64'),
      calibration: { a: round(platt.a, 9), b: round(platt.b, 9) },
      confidenceReference: reference,
      metrics,
      dataUntil: samples.at(-1)?.decidedAt ?? nowMs,
    };
  } finally {
    booster.free();
    currentScorer?.free();
  }
}
