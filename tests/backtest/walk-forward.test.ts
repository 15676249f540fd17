import { describe, expect, it } from 'vitest';
import { bundledDataDir, loadExchangeRules, loadMarketHistory } from '../../src/adapters/data/index.js';
import { buildModelReport } from '../../src/backtest/model-report.js';
import { collectSignalSamples, walkForward } from '../../src/backtest/walk-forward.js';
import { logLoss, seededRandom } from '../../src/engine/learning/evaluation.js';
import { MODEL_FEATURE_NAMES } from '../../src/engine/learning/features.js';
import type { Sample } from '../../src/engine/learning/labels.js';
import { syntheticSamples } from '../adapters/predictor/samples-fixture.js';

const fit = { rounds: 30 };

describe('walk-forward leakage harness', () => {
  it('finds no skill in shuffled labels: out-of-sample AUC 0.5 ± 0.01', async () => {
    const samples = syntheticSamples(40_000, 0.6, 21, 200);
    const random = seededRandom(5);
    const labels = samples.map((s) => s.label);
    for (let i = labels.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [labels[i], labels[j]] = [labels[j]!, labels[i]!];
    }
    const shuffled: Sample[] = samples.map((s, i) => ({ ...s, label: labels[i]! }));
    const walk = await walkForward(shuffled, { fit: { rounds: 10 }, retrainEveryMs: 50 * 86_400_000 });
    const report = buildModelReport({ samples: shuffled, walk, selfLearningTrades: null, rulesTrades: null });
    expect(report.outOfSamplePredictions).toBeGreaterThan(29_000);
    // The candidate models (every fit, promoted or not): no skill.
    expect(Math.abs(report.candidate!.auc! - 0.5)).toBeLessThanOrEqual(0.01);
    // What was in force: the constant mostly (a shuffled model rarely beats it); no skill either.
    expect(Math.abs(report.auc! - 0.5)).toBeLessThanOrEqual(0.01);
  }, 120_000);

  it('trains each model only on labels resolved before it: a label resolved later is never used', async () => {
    const samples = syntheticSamples(6000, 0.6, 22, 100).map((s, i) => ({
      ...s,
      resolvedAt: s.decidedAt + (i % 2 === 0 ? 3_600_000 : 40 * 86_400_000),
    }));
    const walk = await walkForward(samples, { fit, retrainEveryMs: 20 * 86_400_000 });
    expect(walk.models.length).toBeGreaterThan(0);
    for (const model of walk.models) {
      const usable = samples.filter((s) => s.resolvedAt < model.trainedAt).length;
      expect(model.metrics.trainSamples + model.metrics.calibrationSamples + model.metrics.validationSamples).toBeLessThanOrEqual(usable);
    }
    for (const p of walk.predictions) {
      const model = walk.models.find((m) => m.version === p.modelVersion)!;
      expect(samples[p.sample]!.decidedAt).toBeGreaterThanOrEqual(model.trainedAt);
    }
  }, 120_000);

  it("sees a deliberately leaking feature (the next candle's return): the AUC jumps", async () => {
    const dir = bundledDataDir();
    const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
    const history = await loadMarketHistory(dir, symbols);
    const samples = collectSignalSamples({
      history,
      rules: loadExchangeRules(dir, symbols),
      timeStopMs: 24 * 3_600_000,
      takerFeeRate: 0.0005,
    });
    const honest = buildModelReport({ samples, walk: await walkForward(samples, { fit }), selfLearningTrades: null, rulesTrades: null });
    const nextCandle = new Map<string, { open: number; close: number }>();
    for (const [symbol, h] of history) for (const c of h.candles) nextCandle.set(`${symbol}:${c.timestamp}`, c);
    const at = MODEL_FEATURE_NAMES.indexOf('returnRate');
    const leaking = samples.map((s) => {
      const next = nextCandle.get(`${s.symbol}:${s.decidedAt}`)!;
      const vector = new Float32Array(s.vector);
      vector[at] = (next.close / next.open - 1) * (s.side === 'long' ? 1 : -1);
      return { ...s, vector };
    });
    const leaked = buildModelReport({
      samples: leaking,
      walk: await walkForward(leaking, { fit }),
      selfLearningTrades: null,
      rulesTrades: null,
    });
    expect(honest.candidate!.auc!).toBeLessThan(0.6);
    expect(leaked.candidate!.auc!).toBeGreaterThan(honest.candidate!.auc! + 0.1);
    // The leaking model beats the constant, so it is promoted and in force: the headline AUC jumps too.
    expect(leaked.auc!).toBeGreaterThan(honest.auc! + 0.1);
  }, 120_000);
});

describe('walk-forward: what the bot uses (predictions in force)', () => {
  it('measures the promoted model where one is in force and the constant (training base rate) elsewhere', async () => {
    // Pure noise for 100 days, then a strong relation: early fits are refused (the constant is in force).
    const noise = syntheticSamples(3000, 0, 31, 30);
    const signal = syntheticSamples(6000, 0.7, 32, 30, noise.at(-1)!.decidedAt + 60_000);
    const samples = [...noise, ...signal];
    const walk = await walkForward(samples, { fit, retrainEveryMs: 20 * 86_400_000 });
    const report = buildModelReport({ samples, walk, selfLearningTrades: null, rulesTrades: null });
    const withModel = walk.predictions.filter((p) => p.promoted !== null);
    const constant = walk.predictions.filter((p) => p.promoted === null);
    expect(withModel.length).toBeGreaterThan(50);
    expect(constant.length).toBeGreaterThan(50);
    for (const p of constant) expect(p.inForceProbability).toBe(p.baseRate);
    for (const p of withModel) expect(p.inForceProbability).toBe(p.promoted!.winProbability);
    const y = walk.predictions.map((p) => samples[p.sample]!.label);
    expect(report.logLoss).toBeCloseTo(
      logLoss(
        walk.predictions.map((p) => p.inForceProbability),
        y,
      ),
      4,
    );
    expect(report.candidate!.logLoss).toBeCloseTo(
      logLoss(
        walk.predictions.map((p) => p.winProbability),
        y,
      ),
      4,
    );
    expect(report.inForceModelShare).toBeCloseTo(withModel.length / walk.predictions.length, 4);
    // In force is never worse than the constant here: refused fits were never used.
    expect(report.logLoss!).toBeLessThan(report.logLossConstant!);
  }, 120_000);

  it('retires the model in force when it no longer beats the constant on the newest window', async () => {
    // A strong relation for 200 days, then the same feature predicts the opposite outcome.
    const before = syntheticSamples(6000, 0.7, 41, 30);
    const after = syntheticSamples(6000, 0.7, 42, 30, before.at(-1)!.decidedAt + 60_000).map((s) => {
      const vector = new Float32Array(s.vector);
      vector[0] = 1 - vector[0]!; // same label odds, mirrored feature: the old model is now wrong
      return { ...s, vector };
    });
    const samples = [...before, ...after];
    const walk = await walkForward(samples, { fit, retrainEveryMs: 20 * 86_400_000 });
    const retired = walk.models.find((m) => m.retired !== null);
    expect(walk.models.some((m) => m.promoted)).toBe(true);
    expect(retired).toBeDefined();
    expect(retired!.inForce).toBeNull();
    expect(retired!.trainedAt).toBeGreaterThan(after[0]!.decidedAt);
    // Right after the retirement, the constant is what the bot uses.
    const next = walk.predictions.find((p) => samples[p.sample]!.decidedAt >= retired!.trainedAt)!;
    expect(next.promoted).toBeNull();
    expect(next.inForceProbability).toBe(next.baseRate);
  }, 120_000);
});
