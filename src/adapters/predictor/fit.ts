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

/**
 * Samples as columns (what crosses to the worker thread: a few typed arrays, transferred, instead
 * of one object per sample), ordered by decision time.
 */
export interface SampleMatrix {
  readonly count: number;
  /** count × MODEL_FEATURE_COUNT, row-major. */
  readonly vectors: Float32Array;
  readonly labels: Uint8Array;
  readonly decidedAt: Float64Array;
  readonly resolvedAt: Float64Array;
}

export function toSampleMatrix(samplesIn: readonly Sample[]): SampleMatrix {
  const samples = [...samplesIn].sort((a, b) => a.decidedAt - b.decidedAt);
  const count = samples.length;
  const m: SampleMatrix = {
    count,
    vectors: new Float32Array(count * MODEL_FEATURE_COUNT),
    labels: new Uint8Array(count),
    decidedAt: new Float64Array(count),
    resolvedAt: new Float64Array(count),
  };
  samples.forEach((s, i) => {
    m.vectors.set(s.vector, i * MODEL_FEATURE_COUNT);
    m.labels[i] = s.label;
    m.decidedAt[i] = s.decidedAt;
    m.resolvedAt[i] = s.resolvedAt;
  });
  return m;
}

const rowOf = (m: SampleMatrix, i: number): Float32Array => m.vectors.subarray(i * MODEL_FEATURE_COUNT, (i + 1) * MODEL_FEATURE_COUNT);

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
  input: readonly Sample[] | SampleMatrix,
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
  const m = Array.isArray(input) ? toSampleMatrix(input as readonly Sample[]) : (input as SampleMatrix);
  // The newest MAX_TRAIN_ROWS at most.
  const first = Math.max(0, m.count - MAX_TRAIN_ROWS);
  const n = m.count - first;
  const validationCount = Math.max(minSlice, Math.floor(n * (options.validationShare ?? 0.2)));
  const validation = range(m.count - validationCount, m.count);
  const validationStart = validation.length > 0 ? (m.decidedAt[validation[0] as number] as number) : Number.POSITIVE_INFINITY;
  const before = range(first, Math.max(first, m.count - validationCount)).filter((i) => (m.resolvedAt[i] as number) <= validationStart);
  const calibrationCount = Math.max(minSlice, Math.floor(before.length * (options.calibrationShare ?? 0.2)));
  const calibration = before.slice(Math.max(0, before.length - calibrationCount));
  const calibrationStart = calibration.length > 0 ? (m.decidedAt[calibration[0] as number] as number) : Number.POSITIVE_INFINITY;
  const training = before
    .slice(0, Math.max(0, before.length - calibrationCount))
    .filter((i) => (m.resolvedAt[i] as number) <= calibrationStart);
  if (training.length < minTrain || calibration.length < minSlice || validation.length < minSlice) {
    throw new NotEnoughSamplesError(
      `not enough labelled samples: ${training.length} training (need ${minTrain}), ${calibration.length} calibration and ${validation.length} validation (need ${minSlice} each)`,
    );
  }
  const trainData = new Float32Array(training.length * MODEL_FEATURE_COUNT);
  const trainLabels = new Float32Array(training.length);
  training.forEach((index, row) => {
    trainData.set(rowOf(m, index), row * MODEL_FEATURE_COUNT);
    trainLabels[row] = m.labels[index] as number;
  });
  const positives = trainLabels.reduce((a, b) => a + b, 0);
  const baseRate = positives / training.length;
  if (positives === 0 || positives === training.length) throw new NotEnoughSamplesError('training labels are all of one class');
  const bytes = await trainBooster(trainData, trainLabels, MODEL_FEATURE_COUNT, params, rounds);
  const booster = await Booster.load(bytes, MODEL_FEATURE_COUNT);
  let currentScorer: XgbScorer | null = null;
  try {
    const calibrationRaw = calibration.map((i) => booster.predict(rowOf(m, i)));
    const platt = fitPlatt(
      calibrationRaw,
      calibration.map((i) => m.labels[i] as number),
    );
    const reference = quantiles(calibrationRaw.map((r) => round(applyPlatt(platt, r))));
    const labels = validation.map((i) => m.labels[i] as number);
    const p = validation.map((i) => applyPlatt(platt, booster.predict(rowOf(m, i))));
    const confidences = p.map((x) => confidenceFromReference(x, reference));
    let logLossCurrent: number | null = null;
    if (current !== null) {
      try {
        currentScorer = await XgbScorer.fromArtifact(current);
        const scorer = currentScorer;
        logLossCurrent = logLoss(
          validation.map((i) => scorer.score(rowOf(m, i)).winProbability),
          labels,
        );
      } catch {
        logLossCurrent = null; // an unusable current model does not block a good new one
      }
    }
    const interval = aucIntervalByDay(
      p,
      labels,
      validation.map((i) => m.decidedAt[i] as number),
    );
    const metrics: ModelMetrics = {
      trainSamples: training.length,
      calibrationSamples: calibration.length,
      validationSamples: validation.length,
      baseRate: round(baseRate),
      logLoss: round(logLoss(p, labels)),
      logLossConstant: round(
        logLoss(
          labels.map(() => baseRate),
          labels,
        ),
      ),
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
      dataUntil: m.count > 0 ? (m.decidedAt[m.count - 1] as number) : nowMs,
    };
  } finally {
    booster.free();
    currentScorer?.free();
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}
