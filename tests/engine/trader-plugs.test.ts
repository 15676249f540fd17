/**
 * The self-learning plug points of the Trader: an injected Predictor decides the win
 * probability and confidence of a proposed signal (and so whether and how big the entry is),
 * an injected ExitAdvisor can close a position as a 'model' exit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClosedCandle, Prediction } from '../../src/engine/ports.js';
import type { ExitAdviceRequest, PredictionRequest } from '../../src/engine/trader.js';
import type { Candle } from '../../src/engine/types.js';
import { CANDLE_MS, TraderHarness, type HarnessOptions, loadBtcCandles, signalsIn } from './helpers/trader-harness.js';

const closed = (candle: Candle): ClosedCandle => ({ symbol: 'BTCUSDT', candle, mark: null });

let candles: Candle[];
let signalIndex: number;
beforeAll(async () => {
  candles = await loadBtcCandles(1500);
  const found = signalsIn(candles)[0];
  if (found === undefined) throw new Error('no signal in the test candles');
  signalIndex = found.index;
});

/** A harness whose Trader has seen every candle before the first signal, at that candle's close; no exploration. */
function atSignal(options: HarnessOptions): TraderHarness {
  const h = new TraderHarness({ ...options, trader: { explorationRate: 0 } });
  h.trader.warmUp('BTCUSDT', candles.slice(0, signalIndex));
  h.clock.set(candles[signalIndex]!.timestamp + CANDLE_MS);
  h.price('BTCUSDT', candles[signalIndex]!.close);
  return h;
}

const prediction = (winProbability: number, confidence: number): Prediction => ({
  winProbability,
  confidence,
  modelVersion: 'test-v1',
  source: 'test model',
});

describe('Predictor plug', () => {
  it('asks the injected predictor about the signal and enters with its win probability and model version', async () => {
    const asked: PredictionRequest[] = [];
    const h = atSignal({ plugs: { predictor: { predict: (request) => (asked.push(request), prediction(0.9, 0.9)) } } });
    await h.trader.onCandles([closed(candles[signalIndex]!)]);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ symbol: 'BTCUSDT', decidedAt: candles[signalIndex]!.timestamp + CANDLE_MS });
    expect(asked[0]!.signal.features.atrRate).toBeGreaterThan(0);
    const intent = h.trader.pendingOrders().find((o) => o.purpose === 'entry');
    expect(intent?.draft).toMatchObject({ winProbability: 0.9, confidence: 0.9, modelVersion: 'test-v1' });
  });

  it('refuses the entry when the injected predictor gives a low win probability', async () => {
    const h = atSignal({ plugs: { predictor: { predict: () => prediction(0.2, 0.9) } } });
    await h.trader.onCandles([closed(candles[signalIndex]!)]);
    expect(h.exchange.count('placeOrder')).toBe(0);
    expect(h.events.some((e) => e.kind === 'refused')).toBe(true);
  });

  it('awaits an asynchronous predictor', async () => {
    const h = atSignal({ plugs: { predictor: { predict: () => Promise.resolve(prediction(0.85, 0.8)) } } });
    await h.trader.onCandles([closed(candles[signalIndex]!)]);
    expect(h.exchange.count('placeOrder')).toBe(1);
    expect(h.trader.pendingOrders()[0]?.draft).toMatchObject({ winProbability: 0.85, confidence: 0.8 });
  });

  it('without a predictor uses the per-rule statistics (no model version)', async () => {
    const h = atSignal({});
    await h.trader.onCandles([closed(candles[signalIndex]!)]);
    const draft = h.trader.pendingOrders()[0]?.draft;
    expect(draft?.modelVersion).toBeNull();
    expect(draft?.strategyMode).toBe('rules');
  });
});

describe('Exit advisor plug', () => {
  it('closes a position the advisor flags and records the exit as model', async () => {
    const asked: ExitAdviceRequest[] = [];
    let flag = false;
    const h = new TraderHarness({ plugs: { exitAdvisor: { adviseExit: (request) => (asked.push(request), flag ? 'model' : null) } } });
    await h.openPosition({ side: 'long', price: 100_000 });
    h.clock.advance(60_000);
    await h.tick();
    expect(asked.length).toBeGreaterThan(0);
    expect(h.trades()).toHaveLength(0);
    flag = true;
    await h.tick();
    h.price('BTCUSDT', 100_000); // the market close fills on the next price
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['model']);
  });

  it('is not asked when another exit reason applies first', async () => {
    let armed = false;
    let askedWhileArmed = 0;
    const h = new TraderHarness({ plugs: { exitAdvisor: { adviseExit: () => (armed ? (askedWhileArmed++, 'model') : null) } } });
    await h.openPosition({ side: 'long', price: 100_000 });
    armed = true;
    h.trader.requestExit('BTCUSDT', 'manual');
    await h.tick();
    h.price('BTCUSDT', 100_000);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['manual']);
    expect(askedWhileArmed).toBe(0);
  });
});
