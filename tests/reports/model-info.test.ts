import { describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/engine/learning/model.js';
import { modelInfoOf } from '../../src/reports/model-info.js';

describe('model info in the report', () => {
  it('is null until a model is promoted', () => {
    expect(modelInfoOf(null)).toEqual({ version: null, calibration: null });
  });

  it('carries the version and the calibration figures of the promoted model', () => {
    const artifact = {
      version: 'm-20261129-1',
      calibration: { a: 0.9, b: -0.05 },
      metrics: { trainSamples: 900, calibrationSamples: 200, validationSamples: 300, baseRate: 0.41, logLoss: 0.66, logLossConstant: 0.68, logLossCurrent: null, auc: 0.58, aucLow: 0.53, aucHigh: 0.63, ece: 0.031, confidenceRanks: true },
    } as unknown as ModelArtifact;
    expect(modelInfoOf(artifact)).toEqual({
      version: 'm-20261129-1',
      calibration: { ece: 0.031, logLoss: 0.66, logLossConstant: 0.68, baseRate: 0.41, plattA: 0.9, plattB: -0.05, calibrationSamples: 200, validationSamples: 300, auc: 0.58 },
    });
  });
});
