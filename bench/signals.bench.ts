/**
 * signals_candles_per_s: features + rule signals over the bundled BTCUSDT 5m candles
 * (data/candles), or over a synthetic 100k-candle random walk when the file is absent.
 * The backtest pipeline needs 300k candles/s end to end; this stage targets > 1M.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCandles } from '../src/adapters/data/index.js';
import { FeatureState } from '../src/engine/features.js';
import { RuleBasedSignalGenerator } from '../src/engine/signals.js';
import type { Candle } from '../src/engine/types.js';
import type { Emit } from './figure.js';

const BTC_FILE = new URL('../data/candles/BTCUSDT-5m.csv.gz', import.meta.url);
const PASSES = 7;
const WARMUP_PASSES = 3;

async function loadCandles(): Promise<{ candles: Candle[]; source: string }> {
  if (existsSync(BTC_FILE))
    return { candles: (await readCandles(fileURLToPath(BTC_FILE))).candles, source: 'data/candles/BTCUSDT-5m.csv.gz' };
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const candles: Candle[] = [];
  let price = 50_000;
  for (let i = 0; i < 100_000; i++) {
    const open = price;
    price *= 1 + (next() - 0.5) * 0.004;
    candles.push({
      timestamp: i * 300_000,
      open,
      close: price,
      high: Math.max(open, price) * (1 + next() * 0.001),
      low: Math.min(open, price) * (1 - next() * 0.001),
      volume: next() < 0.03 ? 500 : 50 + next() * 100,
    });
  }
  return { candles, source: 'synthetic random walk' };
}

/** Median throughput of `PASSES` timed passes after untimed JIT warm-up passes. */
function measure(candles: readonly Candle[], pass: () => number): { candlesPerS: number; result: number } {
  let result = 0;
  for (let i = 0; i < WARMUP_PASSES; i++) result = pass();
  const rates: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    const start = performance.now();
    result = pass();
    rates.push(candles.length / ((performance.now() - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { candlesPerS: Math.round(rates[Math.floor(rates.length / 2)] as number), result };
}

export async function run(emit: Emit): Promise<void> {
  const { candles, source } = await loadCandles();
  const signals = measure(candles, () => {
    const generator = new RuleBasedSignalGenerator();
    let count = 0;
    for (const candle of candles) if (generator.update(candle) !== null) count++;
    return count;
  });
  emit({ name: 'signals_candles_per_s', value: signals.candlesPerS, unit: 'candles/s', baseline: 1_000_000, note: source });
  const features = measure(candles, () => {
    const state = new FeatureState();
    let count = 0;
    for (const candle of candles) if (state.update(candle) !== null) count++;
    return count;
  });
  emit({ name: 'features_candles_per_s', value: features.candlesPerS, unit: 'candles/s', note: source });
  emit({
    name: 'signals_per_day',
    value: Math.round((signals.result / (candles.length / 288)) * 100) / 100,
    unit: 'count',
    note: `${source}; target 1–10 per symbol`,
  });
}
