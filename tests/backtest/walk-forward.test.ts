import { describe, expect, it } from 'vitest';
import { bundledDataDir, loadExchangeRules, loadMarketHistory } from '../../src/adapters/data/index.js';
import { buildModelReport } from '../../src/backtest/model-report.js';
import { collectSignalSamples, walkForward } from '../../src/backtest/walk-forward.js';
import { seededRandom } from '../../src/engine/learning/evaluation.js';
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
    expect(honest.auc!).toBeLessThan(0.6);
    expect(leaked.auc!).toBeGreaterThan(honest.auc! + 0.1);
  }, 120_000);
});
