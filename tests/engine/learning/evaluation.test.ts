import { describe, expect, it } from 'vitest';
import {
  applyPlatt,
  auc,
  aucIntervalByDay,
  confidenceBuckets,
  confidenceFromReference,
  expectedCalibrationError,
  fitPlatt,
  logLoss,
  seededRandom,
} from '../../../src/engine/learning/evaluation.js';
import { decidePromotion, type ModelMetrics } from '../../../src/engine/learning/model.js';

describe('evaluation', () => {
  it('computes AUC by ranks, with ties counted half', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auc([0.1, 0.2], [1, 1])).toBeNull();
  });

  it('gives a bootstrap-by-day interval around the AUC', () => {
    const random = seededRandom(3);
    const scores: number[] = [];
    const labels: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const y = random() < 0.4 ? 1 : 0;
      labels.push(y);
      scores.push(random() + 0.3 * y);
      times.push(i * 3_600_000);
    }
    const point = auc(scores, labels)!;
    const interval = aucIntervalByDay(scores, labels, times)!;
    expect(interval.low).toBeLessThan(point);
    expect(interval.high).toBeGreaterThan(point);
    expect(interval.high - interval.low).toBeLessThan(0.1);
  });

  it('scores the constant base rate with the entropy of the labels, and calibration error 0 when calibrated', () => {
    const labels = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0];
    const p = labels.map(() => 0.3);
    expect(logLoss(p, labels)).toBeCloseTo(-(0.3 * Math.log(0.3) + 0.7 * Math.log(0.7)), 9);
    expect(expectedCalibrationError(p, labels)).toBeCloseTo(0, 12);
    expect(
      expectedCalibrationError(
        labels.map(() => 0.9),
        labels,
      ),
    ).toBeCloseTo(0.6, 12);
  });

  it('Platt scaling maps overconfident raw scores back to observed frequencies', () => {
    const random = seededRandom(11);
    const raw: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const r = random() < 0.5 ? 0.9 : 0.1; // overconfident
      raw.push(r);
      labels.push(random() < (r > 0.5 ? 0.6 : 0.4) ? 1 : 0);
    }
    const platt = fitPlatt(raw, labels);
    expect(applyPlatt(platt, 0.9)).toBeCloseTo(0.6, 1);
    expect(applyPlatt(platt, 0.1)).toBeCloseTo(0.4, 1);
  });

  it('defines confidence as the rank of p among held-out predictions and buckets realised win rates by it', () => {
    const reference = Array.from({ length: 101 }, (_, k) => 0.3 + k * 0.002);
    expect(confidenceFromReference(0.1, reference)).toBe(0);
    expect(confidenceFromReference(0.9, reference)).toBe(1);
    expect(confidenceFromReference(0.4, reference)).toBeCloseTo(0.5, 2);
    const buckets = confidenceBuckets([0.1, 0.15, 0.9, 0.95], [0.3, 0.3, 0.5, 0.5], [0, 1, 1, 1], 2);
    expect(buckets.map((b) => [b.count, b.realisedWinRate])).toEqual([
      [2, 0.5],
      [2, 1],
    ]);
  });
});

describe('promotion', () => {
  const metrics = (m: Partial<ModelMetrics>): ModelMetrics => ({
    trainSamples: 1000,
    calibrationSamples: 200,
    validationSamples: 300,
    baseRate: 0.4,
    logLoss: 0.67,
    logLossConstant: 0.673,
    logLossCurrent: null,
    auc: 0.55,
    aucLow: 0.51,
    aucHigh: 0.59,
    ece: 0.02,
    confidenceRanks: true,
    ...m,
  });
  it('promotes a model that beats both the constant predictor and the current model', () => {
    expect(decidePromotion(metrics({})).promote).toBe(true);
    expect(decidePromotion(metrics({ logLossCurrent: 0.671 })).promote).toBe(true);
  });
  it('refuses a model worse than the constant predictor or than the current model', () => {
    expect(decidePromotion(metrics({ logLoss: 0.68 }))).toMatchObject({ promote: false, reason: expect.stringMatching(/constant/) });
    expect(decidePromotion(metrics({ logLossCurrent: 0.66 }))).toMatchObject({
      promote: false,
      reason: expect.stringMatching(/current model/),
    });
  });
});
