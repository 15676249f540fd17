/**
 * The report's "model version and calibration" from the promoted model (null until one is
 * promoted): its out-of-sample figures as the learning issue measured them.
 */
import type { ModelArtifact } from '../engine/learning/model.js';
import type { ModelInfo } from '../engine/reports.js';

export function modelInfoOf(artifact: ModelArtifact | null): ModelInfo {
  if (artifact === null) return { version: null, calibration: null };
  const m = artifact.metrics;
  const calibration: Record<string, number> = {
    ece: m.ece,
    logLoss: m.logLoss,
    logLossConstant: m.logLossConstant,
    baseRate: m.baseRate,
    plattA: artifact.calibration.a,
    plattB: artifact.calibration.b,
    calibrationSamples: m.calibrationSamples,
    validationSamples: m.validationSamples,
  };
  if (m.auc !== null) calibration['auc'] = m.auc;
  return { version: artifact.version, calibration };
}
