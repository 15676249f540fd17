import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FEATURE_CONFIG,
  FEATURE_WARMUP_CANDLES,
  FeatureState,
  featureNames,
  featureWarmupCandles,
  toVector,
  type Features,
} from '../../src/engine/features.js';
import type { Candle } from '../../src/engine/types.js';
import { CANDLE_MS } from '../../src/engine/types.js';

const T0 = Date.UTC(2025, 0, 1);

function candle(index: number, open: number, close: number, extra: Partial<Candle> = {}): Candle {
  return {
    timestamp: T0 + index * CANDLE_MS,
    open,
    close,
    high: Math.max(open, close),
    low: Math.min(open, close),
    volume: 100,
    ...extra,
  };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomWalk(count: number, seed: number): Candle[] {
  const next = random(seed);
  const candles: Candle[] = [];
  let price = 100;
  for (let i = 0; i < count; i++) {
    const open = price;
    price = price * (1 + (next() - 0.5) * 0.01);
    const high = Math.max(open, price) * (1 + next() * 0.003);
    const low = Math.min(open, price) * (1 - next() * 0.003);
    candles.push({ timestamp: T0 + i * CANDLE_MS, open, high, low, close: price, volume: 50 + next() * 100 });
  }
  return candles;
}

/** Feeds all candles, returns the features of the last one. */
function lastFeatures(candles: readonly Candle[]): Features {
  const state = new FeatureState();
  let features: Features | null = null;
  for (const c of candles) features = state.update(c);
  if (features === null) throw new Error('not warmed up');
  return features;
}

describe('FeatureState', () => {
  it('returns null for exactly the documented warm-up, then features every candle', () => {
    expect(FEATURE_WARMUP_CANDLES).toBe(featureWarmupCandles(DEFAULT_FEATURE_CONFIG));
    expect(FEATURE_WARMUP_CANDLES).toBe(110);
    const state = new FeatureState();
    const results = randomWalk(FEATURE_WARMUP_CANDLES + 5, 1).map((c) => state.update(c));
    expect(results.slice(0, FEATURE_WARMUP_CANDLES - 1).every((f) => f === null)).toBe(true);
    expect(results.slice(FEATURE_WARMUP_CANDLES - 1).every((f) => f !== null)).toBe(true);
  });

  it('sees a flat market as flat: EMAs equal to the price, no return, ordinary volume', () => {
    const candles = Array.from({ length: 150 }, (_, i) => candle(i, 100, 100, { high: 100.5, low: 99.5 }));
    const f = lastFeatures(candles);
    expect(f.emaSpreadRate).toBe(0);
    expect(f.closeToEmaFastRate).toBe(0);
    expect(f.closeToEmaSlowRate).toBe(0);
    expect(f.emaSlowSlopeRate).toBe(0);
    expect(f.returnRate).toBe(0);
    expect(f.momentumRate).toBe(0);
    expect(f.bodyRate).toBe(0);
    expect(f.volumeRatio).toBeCloseTo(1, 12);
    // every true range is 1.0 on a price of 100
    expect(f.atrRate).toBeCloseTo(0.01, 12);
    expect(f.channelPosition).toBeCloseTo(0.5, 12);
    expect(f.channelWidthRate).toBeCloseTo(0.01, 12);
  });

  it('gives RSI 100 on a strictly rising series, with the exact return and momentum', () => {
    const prices = Array.from({ length: 151 }, (_, i) => 100 * 1.001 ** i);
    const f = lastFeatures(prices.slice(1).map((p, i) => candle(i, prices[i] as number, p)));
    expect(f.rsi).toBe(100);
    expect(f.returnRate).toBeCloseTo(0.001, 12);
    expect(f.momentumRate).toBeCloseTo(1.001 ** 12 - 1, 12);
    expect(f.bodyRate).toBeCloseTo(0.001, 12);
    expect(f.emaSpreadRate).toBeGreaterThan(0);
    expect(f.emaSlowSlopeRate).toBeGreaterThan(0);
    // the close is above the previous 48 highs: a breakout position above 1
    expect(f.channelPosition).toBeGreaterThan(1);
  });

  it('matches a hand-written EMA, Wilder RSI and Wilder ATR on a random walk', () => {
    const candles = randomWalk(400, 7);
    const state = new FeatureState();
    const fast = 2 / 22;
    const slow = 2 / 56;
    let emaFast = Number.NaN;
    let emaSlow = Number.NaN;
    const gains: number[] = [];
    const losses: number[] = [];
    const trueRanges: number[] = [];
    let avgGain = Number.NaN;
    let avgLoss = Number.NaN;
    let atr = Number.NaN;
    for (let i = 0; i < candles.length; i++) {
      const c = candles[i] as Candle;
      const previous = candles[i - 1];
      emaFast = i === 0 ? c.close : c.close * fast + emaFast * (1 - fast);
      emaSlow = i === 0 ? c.close : c.close * slow + emaSlow * (1 - slow);
      const trueRange =
        previous === undefined
          ? c.high - c.low
          : Math.max(c.high - c.low, Math.abs(c.high - previous.close), Math.abs(c.low - previous.close));
      trueRanges.push(trueRange);
      // Wilder: seeded with the simple mean of the first 14, then (prev·13 + x)/14
      if (trueRanges.length === 14) atr = trueRanges.reduce((a, b) => a + b) / 14;
      else if (trueRanges.length > 14) atr = atr + (trueRange - atr) / 14;
      if (previous !== undefined) {
        const change = c.close - previous.close;
        gains.push(Math.max(change, 0));
        losses.push(Math.max(-change, 0));
        if (gains.length === 14) {
          avgGain = gains.reduce((a, b) => a + b) / 14;
          avgLoss = losses.reduce((a, b) => a + b) / 14;
        } else if (gains.length > 14) {
          avgGain = avgGain + ((gains.at(-1) as number) - avgGain) / 14;
          avgLoss = avgLoss + ((losses.at(-1) as number) - avgLoss) / 14;
        }
      }
      const f = state.update(c);
      if (f === null) continue;
      expect(f.emaSpreadRate).toBeCloseTo((emaFast - emaSlow) / emaSlow, 12);
      expect(f.closeToEmaFastRate).toBeCloseTo((c.close - emaFast) / emaFast, 12);
      expect(f.rsi).toBeCloseTo(100 - 100 / (1 + avgGain / avgLoss), 9);
      expect(f.atrRate).toBeCloseTo(atr / c.close, 12);
    }
  });

  it('places the close in the channel of the previous 48 candles, as a brute-force scan does', () => {
    const candles = randomWalk(300, 11);
    const state = new FeatureState();
    candles.forEach((c, i) => {
      const f = state.update(c);
      if (f === null) return;
      const window = candles.slice(i - 48, i);
      const highest = Math.max(...window.map((w) => w.high));
      const lowest = Math.min(...window.map((w) => w.low));
      expect(f.channelPosition).toBeCloseTo((c.close - lowest) / (highest - lowest), 12);
      expect(f.channelWidthRate).toBeCloseTo((highest - lowest) / c.close, 12);
    });
  });

  it('measures a volume spike against the average of the volumes before it', () => {
    const candles = Array.from({ length: 150 }, (_, i) => candle(i, 100, 100, { volume: i === 149 ? 300 : 100 }));
    expect(lastFeatures(candles).volumeRatio).toBeCloseTo(3, 12);
  });

  it('lays the features out as a vector in featureNames order', () => {
    const f = lastFeatures(randomWalk(200, 3));
    const vector = toVector(f);
    expect(vector).toHaveLength(featureNames.length);
    expect(vector).toEqual(featureNames.map((name) => f[name]));
    expect(new Set(featureNames).size).toBe(featureNames.length);
    expect(Object.keys(f).sort()).toEqual([...featureNames].sort());
    expect(vector.every(Number.isFinite)).toBe(true);
  });

  it('refuses a candle out of order or with a non-positive price', () => {
    const state = new FeatureState();
    state.update(candle(5, 100, 101));
    expect(() => state.update(candle(5, 100, 101))).toThrow(/not after the previous one/);
    expect(() => state.update(candle(6, 100, 0))).toThrow(/non-positive price/);
  });
});
