import { beforeAll, describe, expect, it } from 'vitest';
import { bundledDataDir } from '../../../src/adapters/data/index.js';
import { runBacktest } from '../../../src/backtest/run-backtest.js';
import { backtestConfig } from '../../../src/backtest/settings.js';
import { LearningPredictor, type ModelSource } from '../../../src/engine/learning/predictor.js';
import type { ModelPrediction } from '../../../src/engine/learning/service.js';
import { clientOrderId, decisionTimeOf } from '../../../src/engine/client-order-id.js';
import type { ClosedCandle } from '../../../src/engine/ports.js';
import type { Candle, TradeRecord } from '../../../src/engine/types.js';
import { silentLogger } from '../../../src/logger.js';
import { CANDLE_MS, TraderHarness, loadBtcCandles, signalsIn } from '../helpers/trader-harness.js';

class FakeSource implements ModelSource {
  hasModel = true;
  asked = 0;
  observed = 0;
  closed: { trade: TradeRecord; decidedAt: number }[] = [];
  constructor(private readonly answer: ModelPrediction | null) {}
  predict(): ModelPrediction | null {
    this.asked++;
    return this.answer;
  }
  onCandle(): void {
    this.observed++;
  }
  onTradeClosed(trade: TradeRecord, decidedAt: number): void {
    this.closed.push({ trade, decidedAt });
  }
}

const closed = (candle: Candle): ClosedCandle => ({ symbol: 'BTCUSDT', candle, mark: null });
let candles: Candle[];
let signalIndex: number;
beforeAll(async () => {
  candles = await loadBtcCandles(1500);
  signalIndex = signalsIn(candles)[0]!.index;
});

function atSignal(
  source: ModelSource,
  mode: 'self_learning' | 'rules',
  grade: 'C' | null = null,
): { h: TraderHarness; predictor: LearningPredictor } {
  const predictor = new LearningPredictor(source);
  const h = new TraderHarness({ trader: { explorationRate: 0 }, plugs: { predictor } });
  h.trader.setStrategyMode(mode);
  if (grade !== null) h.trader.restoreState({ ...h.trader.exportState(), state: { ...h.trader.engineState(), strategyMode: mode, grade } });
  h.trader.warmUp('BTCUSDT', candles.slice(0, signalIndex));
  h.clock.set(candles[signalIndex]!.timestamp + CANDLE_MS);
  h.price('BTCUSDT', candles[signalIndex]!.close);
  return { h, predictor };
}

const model: ModelPrediction = { winProbability: 0.72, confidence: 0.9, modelVersion: 'm-1', confidenceRanks: false };

describe('the learning predictor in the Trader', () => {
  it('trades on the promoted model in self-learning mode, with expected R and the confidence clamp recorded', async () => {
    const source = new FakeSource(model);
    const { h } = atSignal(source, 'self_learning');
    expect(h.trader.effectiveMode().label).toBe('self_learning');
    await h.trader.onCandles([closed(candles[signalIndex]!)]);
    const draft = h.trader.pendingOrders().find((o) => o.purpose === 'entry')?.draft;
    expect(draft).toMatchObject({ winProbability: 0.72, confidence: 0.9, modelVersion: 'm-1', strategyMode: 'self_learning' });
    expect(draft?.expectedR).toBeGreaterThan(0);
    expect(draft?.leverageClamps.map((c) => c.step)).toContain('confidence');
    expect(source.observed).toBe(signalIndex + 1); // every candle, warm-up included
  });

  it('with STRATEGY_MODE=rules never asks the model', async () => {
    const source = new FakeSource(model);
    const { h, predictor } = atSignal(source, 'rules');
    await h.trader.onCandles([closed(candles[signalIndex]!)]);
    expect(source.asked).toBe(0);
    expect(predictor.shadow.size).toBe(0);
    expect(h.trader.pendingOrders()[0]?.draft?.modelVersion ?? null).toBeNull();
  });

  it('at grade C trades on rule statistics and lets the model predict in shadow', async () => {
    const source = new FakeSource(model);
    const { h, predictor } = atSignal(source, 'self_learning', 'C');
    expect(h.trader.effectiveMode().label).toBe('rules (grade C)');
    await h.trader.onCandles([closed(candles[signalIndex]!)]);
    expect(predictor.shadow.size).toBe(1);
    const draft = h.trader.pendingOrders().find((o) => o.purpose === 'entry')?.draft;
    if (draft !== undefined && draft !== null) expect(draft.modelVersion).toBeNull();
  });

  it('resumes self-learning when the operator chooses self_learning at grade C', () => {
    const { h } = atSignal(new FakeSource(model), 'self_learning', 'C');
    expect(h.trader.effectiveMode().label).toBe('rules (grade C)');
    h.trader.setStrategyMode('self_learning');
    expect(h.trader.engineState().grade).toBeNull();
    expect(h.trader.effectiveMode().label).toBe('self_learning');
  });

  it('refuses a model trade when the model cannot score the signal yet', async () => {
    const { h } = atSignal(new FakeSource(null), 'self_learning');
    await h.trader.onCandles([closed(candles[signalIndex]!)]);
    expect(h.exchange.count('placeOrder')).toBe(0);
  });

  it('reads the decision time back from the entry client order id', () => {
    const at = Date.UTC(2025, 7, 3, 10, 5);
    expect(decisionTimeOf(clientOrderId('entry', 'BTCUSDT', at))).toBe(at);
    expect(decisionTimeOf('adopted_BTCUSDT_x')).toBeNull();
  });
});

describe('exploration', () => {
  it('takes about 5 % of the signals refused only by the model thresholds, tagged', async () => {
    // A model that always says 0.30: every otherwise-acceptable signal is refused by MIN_WIN_PROBABILITY.
    const source = new FakeSource({ winProbability: 0.3, confidence: 0.5, modelVersion: 'low', confidenceRanks: true });
    let onlyThresholds = 0;
    const result = await runBacktest({
      config: backtestConfig({}, { symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], strategy: 'self_learning', dataDir: bundledDataDir() })
        .config,
      logger: silentLogger,
      predictor: new LearningPredictor(source),
      onEvent: (event) => {
        if (event.kind === 'refused' && event.reasons.every((r) => /MIN_WIN_PROBABILITY|expected/.test(r))) onlyThresholds++;
      },
    });
    const explored = result.trades.filter((t) => t.exploration);
    expect(explored.every((t) => t.leverage === 1 && t.strategyMode.endsWith('exploration'))).toBe(true);
    expect(result.trades.filter((t) => !t.exploration)).toHaveLength(0);
    const rate = explored.length / (explored.length + onlyThresholds);
    expect(explored.length + onlyThresholds).toBeGreaterThan(800);
    expect(Math.abs(rate - 0.05)).toBeLessThan(0.015);
  }, 60_000);
});
