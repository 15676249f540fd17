import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCandles } from '../../src/adapters/data/index.js';
import { FEATURE_WARMUP_CANDLES } from '../../src/engine/features.js';
import {
  DEFAULT_SIGNAL_CONFIG,
  RuleBasedSignalGenerator,
  baseSlPctFromAtr,
  signalReverses,
  type Signal,
} from '../../src/engine/signals.js';
import type { Candle } from '../../src/engine/types.js';
import { CANDLE_MS } from '../../src/engine/types.js';

const T0 = Date.UTC(2025, 0, 1);

/** Candles from per-candle returns, each with a 0.1 % wick either side, constant volume unless given. */
function path(returns: readonly number[], volumes: readonly number[] = []): Candle[] {
  let price = 100;
  return returns.map((r, i) => {
    const open = price;
    price = price * (1 + r);
    return {
      timestamp: T0 + i * CANDLE_MS,
      open,
      close: price,
      high: Math.max(open, price) * 1.001,
      low: Math.min(open, price) * 0.999,
      volume: volumes[i] ?? 100,
    };
  });
}

/** A choppy uptrend (+0.4 %, −0.2 %, …) of `count` candles: RSI stays near 67, never pinned at 100. */
const choppyTrend = (count: number, sign: 1 | -1): number[] =>
  Array.from({ length: count }, (_, i) => sign * (i % 2 === 0 ? 0.004 : -0.002));
const repeat = (count: number, r: number): number[] => Array.from({ length: count }, () => r);

function randomWalk(count: number, seed: number): Candle[] {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const candles: Candle[] = [];
  let price = 100;
  for (let i = 0; i < count; i++) {
    const open = price;
    price *= 1 + (next() - 0.5) * 0.008;
    candles.push({
      timestamp: T0 + i * CANDLE_MS,
      open,
      close: price,
      high: Math.max(open, price) * (1 + next() * 0.002),
      low: Math.min(open, price) * (1 - next() * 0.002),
      volume: next() < 0.03 ? 400 + next() * 400 : 50 + next() * 100,
    });
  }
  return candles;
}

function run(candles: readonly Candle[]): { index: number; signal: Signal }[] {
  const generator = new RuleBasedSignalGenerator();
  const out: { index: number; signal: Signal }[] = [];
  candles.forEach((c, index) => {
    const signal = generator.update(c);
    if (signal !== null) out.push({ index, signal });
  });
  return out;
}

describe('RuleBasedSignalGenerator', () => {
  it('gives no signal while the features warm up, and the same breakout one candle later does', () => {
    const warmupCandles = new RuleBasedSignalGenerator().warmupCandles;
    expect(warmupCandles).toBe(FEATURE_WARMUP_CANDLES + 1);
    /** An uptrend, a flat stretch, then a breakout candle on 5× volume at `breakoutIndex`. */
    const breakoutAt = (breakoutIndex: number): Candle[] =>
      path([...choppyTrend(80, 1), ...repeat(breakoutIndex - 80, 0), 0.012], [...repeat(breakoutIndex, 100), 500]);
    expect(run(breakoutAt(warmupCandles - 2))).toEqual([]);
    const justWarm = run(breakoutAt(warmupCandles - 1));
    expect(justWarm.map((s) => [s.index, s.signal.rule])).toEqual([[warmupCandles - 1, 'breakout']]);
  });

  it('goes long when an uptrend pulls back to RSI < 40 and then closes back above EMA21', () => {
    const candles = path([...choppyTrend(160, 1), ...repeat(8, -0.004), ...repeat(6, 0.006)]);
    const signals = run(candles);
    expect(signals).toHaveLength(1);
    const { index, signal } = signals[0] as { index: number; signal: Signal };
    expect(index).toBeGreaterThan(167); // after the pullback, on the rebound
    expect(signal.side).toBe('long');
    expect(signal.rule).toBe('trend_pullback');
    expect(signal.reasons[0]).toMatch(/^EMA21 > EMA55 \(\+\d+\.\d\d %\)$/);
    expect(signal.reasons).toContain('EMA55 rising (+0.29 %)');
    expect(signal.reasons.some((r) => /^RSI dipped to \d+ ≤ 40$/.test(r))).toBe(true);
    expect(signal.baseSlPct).toBeCloseTo(1.5 * signal.features.atrRate, 12);
    expect(signal.baseSlPct).toBeGreaterThanOrEqual(0.005);
    expect(signal.baseSlPct).toBeLessThanOrEqual(0.05);
    expect(signal.strength).toBeGreaterThan(0.6);
    expect(signal.strength).toBeLessThanOrEqual(1);
    expect(signal.closePrice).toBe(candles[index]?.close);
    expect(signal.candleTimestamp).toBe(candles[index]?.timestamp);
  });

  it('goes short on the mirror image: a downtrend that rallies to RSI > 60 and closes back below EMA21', () => {
    const signals = run(path([...choppyTrend(160, -1), ...repeat(8, 0.004), ...repeat(6, -0.006)]));
    expect(signals.map((s) => [s.signal.side, s.signal.rule])).toEqual([['short', 'trend_pullback']]);
    expect(signals[0]?.signal.reasons[0]).toMatch(/^EMA21 < EMA55/);
  });

  it('signals a breakout when price clears the 4-hour high on heavy volume in an uptrend', () => {
    const returns = [...choppyTrend(160, 1), ...repeat(30, 0), 0.012];
    const volumes = [...repeat(190, 100), 500];
    const signals = run(path(returns, volumes));
    expect(signals).toHaveLength(1);
    expect(signals[0]?.index).toBe(190);
    expect(signals[0]?.signal.rule).toBe('breakout');
    expect(signals[0]?.signal.side).toBe('long');
    expect(signals[0]?.signal.reasons).toContain('close above the 48-candle high');
  });

  it('gives the same signals for the same candles, every time', () => {
    const candles = randomWalk(5_000, 42);
    const first = run(candles);
    const second = run(candles);
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });

  it('waits out the cooldown between two signals', () => {
    const signals = run(randomWalk(20_000, 9));
    expect(signals.length).toBeGreaterThan(10);
    for (let i = 1; i < signals.length; i++) {
      expect((signals[i]?.index ?? 0) - (signals[i - 1]?.index ?? 0)).toBeGreaterThan(DEFAULT_SIGNAL_CONFIG.cooldownCandles);
    }
    for (const { signal } of signals) {
      expect(signal.strength).toBeGreaterThanOrEqual(0);
      expect(signal.strength).toBeLessThanOrEqual(1);
      expect(signal.reasons.length).toBeGreaterThan(0);
    }
  });

  const btcFile = new URL('../../data/candles/BTCUSDT-5m.csv.gz', import.meta.url);
  it.skipIf(!existsSync(btcFile))('gives between 1 and 10 signals a day on the bundled BTCUSDT 5m candles', async () => {
    const { candles } = await readCandles(fileURLToPath(btcFile));
    const signals = run(candles);
    const perDay = signals.length / (candles.length / 288);
    expect(perDay).toBeGreaterThanOrEqual(1);
    expect(perDay).toBeLessThanOrEqual(10);
    const rules = new Set(signals.map((s) => s.signal.rule));
    expect(rules).toEqual(new Set(['trend_pullback', 'breakout', 'mean_reversion']));
    const sides = signals.filter((s) => s.signal.side === 'long').length / signals.length;
    expect(sides).toBeGreaterThan(0.2);
    expect(sides).toBeLessThan(0.8);
  });
});

describe('RuleBasedSignalGenerator configuration', () => {
  it('refuses a stop range that is empty or not positive', () => {
    expect(() => new RuleBasedSignalGenerator({ minBaseSlRate: 0.02, maxBaseSlRate: 0.01 })).toThrow(/minBaseSlRate/);
    expect(() => new RuleBasedSignalGenerator({ minBaseSlRate: 0 })).toThrow(RangeError);
    expect(() => new RuleBasedSignalGenerator({ cooldownCandles: 1.5 })).toThrow(/cooldownCandles/);
  });

  it('exposes the last features once warm, for re-scoring open positions', () => {
    const generator = new RuleBasedSignalGenerator();
    const candles = randomWalk(generator.warmupCandles, 5);
    candles.slice(0, -2).forEach((c) => generator.update(c));
    expect(generator.isWarm).toBe(false);
    expect(generator.lastFeatures).toBeNull();
    candles.slice(-2).forEach((c) => generator.update(c));
    expect(generator.isWarm).toBe(true);
    expect(generator.lastFeatures?.atrRate).toBeGreaterThan(0);
  });
});

describe('baseSlPctFromAtr', () => {
  it('takes 1.5 ATR, never tighter than 0.5 % nor wider than 5 %', () => {
    expect(baseSlPctFromAtr(0.004)).toBeCloseTo(0.006, 15);
    expect(baseSlPctFromAtr(0.001)).toBe(0.005);
    expect(baseSlPctFromAtr(0.1)).toBe(0.05);
  });
});

describe('signalReverses', () => {
  it('is true only for a signal against the open side', () => {
    expect(signalReverses({ side: 'short' }, 'long')).toBe(true);
    expect(signalReverses({ side: 'long' }, 'short')).toBe(true);
    expect(signalReverses({ side: 'long' }, 'long')).toBe(false);
    expect(signalReverses(null, 'long')).toBe(false);
  });
});
