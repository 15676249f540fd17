import { describe, expect, it } from 'vitest';
import { emptyFeatures } from '../../../src/engine/features.js';
import {
  CANDLE_CONTEXT_WARMUP,
  CandleContext,
  FeatureCache,
  MODEL_FEATURE_COUNT,
  MODEL_FEATURE_NAMES,
  assertModelRow,
  modelVector,
  type CandleExtras,
} from '../../../src/engine/learning/features.js';
import type { Candle } from '../../../src/engine/types.js';

const T0 = Date.UTC(2025, 0, 1);
const candleAt = (i: number, close: number, volume = 100): Candle => ({
  timestamp: T0 + i * 300_000,
  open: close,
  high: close * 1.001,
  low: close * 0.999,
  close,
  volume,
});
const extras: CandleExtras = { return15mRate: 0.001, return4hRate: 0.01, return24hRate: -0.02, volumeZ: 0.5 };
const index = (name: (typeof MODEL_FEATURE_NAMES)[number]): number => MODEL_FEATURE_NAMES.indexOf(name);

describe('learning features', () => {
  it('computes multi-horizon returns from closed candles only, once a day has passed', () => {
    const context = new CandleContext();
    const closes: number[] = [];
    let last: CandleExtras | null = null;
    for (let i = 0; i < CANDLE_CONTEXT_WARMUP + 20; i++) {
      const close = 100 + Math.sin(i / 7) * 5 + i * 0.01;
      closes.push(close);
      last = context.update(candleAt(i, close, 100 + (i % 13)));
      if (i < CANDLE_CONTEXT_WARMUP - 1) expect(last).toBeNull();
    }
    const n = closes.length - 1;
    expect(last).not.toBeNull();
    expect(last!.return15mRate).toBeCloseTo(closes[n]! / closes[n - 3]! - 1, 12);
    expect(last!.return4hRate).toBeCloseTo(closes[n]! / closes[n - 48]! - 1, 12);
    expect(last!.return24hRate).toBeCloseTo(closes[n]! / closes[n - 288]! - 1, 12);
  });

  it('measures a volume spike against the previous day as a z-score', () => {
    const context = new CandleContext();
    for (let i = 0; i < CANDLE_CONTEXT_WARMUP; i++) context.update(candleAt(i, 100, 100 + (i % 5)));
    const spike = context.update(candleAt(CANDLE_CONTEXT_WARMUP, 100, 1000));
    expect(spike!.volumeZ).toBeGreaterThan(3);
  });

  it('refuses a candle out of order', () => {
    const context = new CandleContext();
    context.update(candleAt(1, 100));
    expect(() => context.update(candleAt(1, 100))).toThrow(RangeError);
  });

  it('encodes side and rule as 0/1 and unknown funding as 0 with a flag, never −1', () => {
    const features = { ...emptyFeatures(), rsi: 50, atrRate: 0.002, volumeRatio: 1, channelPosition: -1 };
    const short = modelVector({ signal: { side: 'short', rule: 'breakout', features }, extras, fundingRate: null })!;
    expect(short).toHaveLength(MODEL_FEATURE_COUNT);
    expect(short[index('sideLong')]).toBe(0);
    expect(short[index('ruleBreakout')]).toBe(1);
    expect(short[index('ruleTrendPullback')]).toBe(0);
    expect(short[index('fundingKnown')]).toBe(0);
    expect(short[index('fundingRate')]).toBe(0);
    // A real −1 (channel position exactly at −1) is moved off the library's missing value.
    expect(short[index('channelPosition')]).not.toBe(-1);
    expect(short[index('channelPosition')]).toBeCloseTo(-1, 5);
    for (const value of short) expect(value).not.toBe(-1);
    const long = modelVector({ signal: { side: 'long', rule: 'mean_reversion', features }, extras, fundingRate: 0.0001 })!;
    expect(long[index('sideLong')]).toBe(1);
    expect(long[index('ruleMeanReversion')]).toBe(1);
    expect(long[index('fundingKnown')]).toBe(1);
  });

  it('gives no vector when a value is not finite, and the row guard throws on NaN', () => {
    const features = { ...emptyFeatures(), rsi: Number.NaN };
    expect(modelVector({ signal: { side: 'long', rule: 'breakout', features }, extras, fundingRate: null })).toBeNull();
    const row = new Float32Array(MODEL_FEATURE_COUNT);
    row[3] = Number.NaN;
    expect(() => assertModelRow(row)).toThrow(/return4hRate is NaN/);
    const minusOne = new Float32Array(MODEL_FEATURE_COUNT).fill(-1);
    assertModelRow(minusOne);
    for (const value of minusOne) expect(value).not.toBe(-1);
  });

  it('keeps a cached vector for 60 s and for the same candle only', () => {
    const cache = new FeatureCache();
    const vector = new Float32Array(MODEL_FEATURE_COUNT);
    cache.set('BTCUSDT', 1, vector, 0);
    expect(cache.get('BTCUSDT', 1, 59_000)).toBe(vector);
    expect(cache.get('BTCUSDT', 2, 59_000)).toBeNull();
    cache.set('BTCUSDT', 1, vector, 0);
    expect(cache.get('BTCUSDT', 1, 61_000)).toBeNull();
    cache.set('ETHUSDT', 1, vector, 0);
    cache.sweep(120_000);
    expect(cache.size).toBe(0);
  });
});
