import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ATR, EMA, RSI } from 'trading-signals';
import { readCandles } from '../../src/adapters/data/series.js';
import { Atr, Ema, Rsi } from '../../src/engine/indicators.js';

interface Bar {
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** A random walk with a deterministic generator, including flat stretches (zero gains and losses). */
function randomWalk(count: number): Bar[] {
  let price = 100;
  let seed = 7;
  const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const bars: Bar[] = [];
  for (let i = 0; i < count; i++) {
    const open = price;
    if (i % 97 >= 60) price = Math.max(1, price * (1 + (random() - 0.5) * 0.02)); // flat in between
    bars.push({ high: Math.max(open, price) * (1 + random() * 0.005), low: Math.min(open, price) * (1 - random() * 0.005), close: price });
  }
  return bars;
}

/**
 * Feeds `bars` to ours and to trading-signals; returns the first input where any value differs
 * (as a description, or null) and how many RSI values were compared.
 */
function compareWithLibrary(
  bars: readonly Bar[],
  periods: { ema: number; rsi: number; atr: number },
): { mismatch: string | null; compared: number } {
  const ours = { ema: new Ema(periods.ema), rsi: new Rsi(periods.rsi), atr: new Atr(periods.atr) };
  const lib = { ema: new EMA(periods.ema), rsi: new RSI(periods.rsi), atr: new ATR(periods.atr) };
  let compared = 0;
  for (const [index, bar] of bars.entries()) {
    const pairs: [string, number | null, number | null][] = [
      ['ema', ours.ema.add(bar.close), lib.ema.add(bar.close)],
      ['ema result', ours.ema.result, lib.ema.getResult()],
      ['rsi', ours.rsi.add(bar.close), lib.rsi.add(bar.close)],
      ['atr', ours.atr.add(bar.high, bar.low, bar.close), lib.atr.add(bar)],
    ];
    for (const [name, got, want] of pairs) {
      if (!Object.is(got, want)) return { mismatch: `${name} at input ${index}: ${String(got)} ≠ ${String(want)}`, compared };
    }
    if (ours.rsi.result !== null) compared++;
  }
  return { mismatch: null, compared };
}

describe('Ema, Rsi and Atr compute exactly the values of trading-signals 8.3.0', () => {
  it('on a random walk with flat stretches, for several periods', () => {
    const bars = randomWalk(3000);
    for (const periods of [
      { ema: 21, rsi: 14, atr: 14 },
      { ema: 55, rsi: 2, atr: 3 },
      { ema: 2, rsi: 30, atr: 50 },
    ]) {
      const { mismatch, compared } = compareWithLibrary(bars, periods);
      expect(mismatch).toBeNull();
      expect(compared).toBeGreaterThan(2900);
    }
  });

  it('on the bundled BTCUSDT candles', async () => {
    const { candles } = await readCandles(path.join(process.cwd(), 'data', 'candles', 'BTCUSDT-5m.csv.gz'));
    expect(candles.length).toBeGreaterThan(20_000);
    expect(compareWithLibrary(candles, { ema: 55, rsi: 14, atr: 14 })).toEqual({ mismatch: null, compared: candles.length - 14 });
  });

  it('is checked against the library version it was verified with (re-verify before changing the pin)', () => {
    // The package's exports do not include package.json: read the installed manifest directly.
    const manifest = JSON.parse(readFileSync(path.join(process.cwd(), 'node_modules', 'trading-signals', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(manifest.version).toBe('8.3.0');
  });
});

describe('Ema', () => {
  it('has no result until `period` inputs, then the weighted average seeded with the first input', () => {
    const ema = new Ema(3);
    expect(ema.add(10)).toBe(10);
    expect(ema.result).toBeNull();
    expect(ema.add(20)).toBe(15); // 20 × 0.5 + 10 × 0.5
    expect(ema.add(20)).toBe(17.5);
    expect(ema.result).toBe(17.5);
  });
});

describe('Rsi', () => {
  it('is 100 when there were no losses and 0 when there were no gains', () => {
    const up = new Rsi(3);
    const down = new Rsi(3);
    for (let i = 0; i < 6; i++) {
      up.add(100 + i);
      down.add(100 - i);
    }
    expect(up.result).toBe(100);
    expect(down.result).toBe(0);
  });
});
