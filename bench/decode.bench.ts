/**
 * Raw decode + validation throughput of the candle loader (gunzip, split, parse,
 * check, build Candle objects). The backtest's own figure must stay within 4× of it.
 *
 * decode_candles_per_s         every bundled data/candles file, median of 3 runs
 * decode_candles_per_s_shared  every ../shared/data/candles file, when that folder exists
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Emit } from './figure.js';
import { availableSymbols, bundledDataDir, dataLayout } from '../src/adapters/data/layout.js';
import { readCandles } from '../src/adapters/data/series.js';

const RUNS = 3;
const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Candles per second over all candle files of `dataDir`, median of RUNS sequential passes. */
async function decodeRate(dataDir: string): Promise<{ perSecond: number; candles: number; files: number }> {
  const layout = dataLayout(dataDir);
  const files = availableSymbols(dataDir).map((symbol) => layout.files(symbol).candles);
  const rates: number[] = [];
  let candles = 0;
  for (let run = 0; run < RUNS; run++) {
    candles = 0;
    const startedAt = performance.now();
    for (const file of files) candles += (await readCandles(file)).candles.length;
    rates.push(candles / ((performance.now() - startedAt) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { perSecond: Math.round(rates[Math.floor(RUNS / 2)]!), candles, files: files.length };
}

export async function run(emit: Emit): Promise<void> {
  const bundled = await decodeRate(bundledDataDir());
  emit({
    name: 'decode_candles_per_s',
    value: bundled.perSecond,
    unit: 'candles/s',
    note: `${bundled.files} bundled files, ${bundled.candles} candles, median of ${RUNS}`,
  });

  const sharedDir = join(projectRoot, '..', 'shared', 'data');
  if (!existsSync(join(sharedDir, 'candles'))) return;
  const shared = await decodeRate(sharedDir);
  emit({
    name: 'decode_candles_per_s_shared',
    value: shared.perSecond,
    unit: 'candles/s',
    note: `${shared.files} files of ../shared/data, ${shared.candles} candles, median of ${RUNS}`,
  });
}
