import { describe, expect, it } from 'vitest';
import { fitModel, NotEnoughSamplesError, XgbScorer } from '../../../src/adapters/predictor/fit.js';
import { Booster, DEFAULT_ROUNDS, DEFAULT_XGB_PARAMS, trainBooster, validateParams } from '../../../src/adapters/predictor/xgboost.js';
import { MODEL_FEATURE_COUNT } from '../../../src/engine/learning/features.js';
import { decidePromotion } from '../../../src/engine/learning/model.js';
import { syntheticSamples } from './samples-fixture.js';

describe('XGBoost adapter', () => {
  it('refuses misspelled or unsafe parameters instead of letting the library ignore them', () => {
    expect(() => validateParams({ ...DEFAULT_XGB_PARAMS, max_dept: 3 }, 100)).toThrow(/unknown parameter "max_dept"/);
    expect(() => validateParams({ ...DEFAULT_XGB_PARAMS, tree_method: 'exact' }, 100)).toThrow(/tree_method must be hist/);
    expect(() => validateParams({ ...DEFAULT_XGB_PARAMS, objective: 'reg:linear' }, 100)).toThrow(/binary:logistic/);
    expect(() => validateParams({ ...DEFAULT_XGB_PARAMS }, 1000)).toThrow(/rounds/);
    expect(validateParams({ ...DEFAULT_XGB_PARAMS }, DEFAULT_ROUNDS)).toEqual(DEFAULT_XGB_PARAMS);
  });

  it('refuses a NaN before it reaches the library, and learns a real signal', async () => {
    const data = new Float32Array(4 * MODEL_FEATURE_COUNT);
    data[5] = Number.NaN;
    await expect(trainBooster(data, new Float32Array([0, 1, 0, 1]), MODEL_FEATURE_COUNT, DEFAULT_XGB_PARAMS, 5)).rejects.toThrow(/NaN/);
    const train = syntheticSamples(3000, 0.6, 1);
    const matrix = new Float32Array(train.length * MODEL_FEATURE_COUNT);
    train.forEach((s, i) => matrix.set(s.vector, i * MODEL_FEATURE_COUNT));
    const bytes = await trainBooster(matrix, Float32Array.from(train.map((s) => s.label)), MODEL_FEATURE_COUNT, DEFAULT_XGB_PARAMS, 30);
    const booster = await Booster.load(bytes, MODEL_FEATURE_COUNT);
    try {
      const low = new Float32Array(MODEL_FEATURE_COUNT).fill(0.5);
      low[0] = 0;
      const high = new Float32Array(low);
      high[0] = 1;
      expect(booster.predict(high)).toBeGreaterThan(booster.predict(low));
      const bad = new Float32Array(MODEL_FEATURE_COUNT);
      bad[0] = Number.NaN;
      expect(() => booster.predict(bad)).toThrow(RangeError);
    } finally {
      booster.free();
    }
    expect(() => booster.predict(new Float32Array(MODEL_FEATURE_COUNT))).toThrow(/after free/);
  });

  it('stores the default model (80 trees of depth 3) in under 100 KB (base64 in a JSON artifact)', async () => {
    const artifact = await fitModel(syntheticSamples(6000, 0.3, 2), null, 'v-size', 0);
    const stored = JSON.stringify(artifact);
    expect(artifact.rounds).toBe(DEFAULT_ROUNDS);
    expect(Buffer.byteLength(stored)).toBeLessThan(100 * 1024);
    const scorer = await XgbScorer.fromArtifact(JSON.parse(stored));
    const score = scorer.score(syntheticSamples(1, 0, 9)[0]!.vector);
    scorer.free();
    expect(score.winProbability).toBeGreaterThan(0);
    expect(score.winProbability).toBeLessThan(1);
    expect(score.confidence).toBeGreaterThanOrEqual(0);
    expect(score.confidence).toBeLessThanOrEqual(1);
  });

  it('promotes a model with signal over the constant predictor, and refuses one trained on noise against it', async () => {
    const good = await fitModel(syntheticSamples(4000, 0.6, 3), null, 'v-good', 0, { rounds: 40 });
    expect(good.metrics.logLoss).toBeLessThan(good.metrics.logLossConstant);
    expect(decidePromotion(good.metrics).promote).toBe(true);
    expect(good.metrics.auc!).toBeGreaterThan(0.6);
    // A model trained on noise, judged against the good model on data with signal: refused.
    const noiseThenSignal = [...syntheticSamples(3000, 0, 4).slice(0, 2400), ...syntheticSamples(4000, 0.6, 3).slice(3200)];
    const worse = await fitModel(noiseThenSignal, good, 'v-worse', 0, { rounds: 40 });
    expect(worse.metrics.logLossCurrent).not.toBeNull();
    const decision = decidePromotion(worse.metrics);
    expect(decision.promote).toBe(false);
  });

  it('says why when there are too few samples', async () => {
    await expect(fitModel(syntheticSamples(100, 0.5, 5), null, 'v', 0)).rejects.toThrow(NotEnoughSamplesError);
  });
});
