/**
 * Raw decode + validation throughput of the candle loader (gunzip, split, parse,
 * check, build Candle objects). The backtest's own figure must stay within 4× of it.
 *
 * decode_candles_per_s           every bundled data/candles file, one after the other, median of 3 runs
 * decode_scan_candles_per_s      the same files through scanNumericCsv alone (gunzip + split + parse,
 *                                no validation, no Candle objects): what the scanner itself costs
 * decode_candles_per_s_parallel  the same files read together (Promise.all, as loadMarketHistory does):
 *                                gunzip runs on the libuv threadpool, so files decode in parallel
 * decode_candles_per_s_shared    every ../shared/data/candles file, when that folder exists
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Emit } from './figure.js';
import { availableSymbols, bundledDataDir, dataLayout } from '../src/adapters/data/layout.js';
import { scanNumericCsv } from '../src/adapters/data/csv-scan.js';
import { CANDLE_HEADER, readCandles } from '../src/adapters/data/series.js';

const RUNS = 3;
const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

type Pass = (files: readonly string[]) => Promise<number>;

const sequential: Pass = async (files) => {
  let candles = 0;
  for (const file of files) candles += (await readCandles(file)).candles.length;
  return candles;
};
const scanOnly: Pass = async (files) => {
  let rows = 0;
  for (const file of files) rows += await scanNumericCsv(file, CANDLE_HEADER, () => undefined);
  return rows;
};
const parallel: Pass = async (files) =>
  (await Promise.all(files.map((file) => readCandles(file)))).reduce((sum, f) => sum + f.candles.length, 0);

/** Candles per second over all candle files of `dataDir`, median of RUNS passes. */
async function decodeRate(dataDir: string, pass: Pass = sequential): Promise<{ perSecond: number; candles: number; files: number }> {
  const layout = dataLayout(dataDir);
  const files = availableSymbols(dataDir).map((symbol) => layout.files(symbol).candles);
  const rates: number[] = [];
  let candles = 0;
  for (let run = 0; run < RUNS; run++) {
    const startedAt = performance.now();
    candles = await pass(files);
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

  const scan = await decodeRate(bundledDataDir(), scanOnly);
  emit({
    name: 'decode_scan_candles_per_s',
    value: scan.perSecond,
    unit: 'candles/s',
    note: `scanNumericCsv only (no validation, no Candle objects), ${scan.files} bundled files, median of ${RUNS}`,
  });

  const together = await decodeRate(bundledDataDir(), parallel);
  emit({
    name: 'decode_candles_per_s_parallel',
    value: together.perSecond,
    unit: 'candles/s',
    note: `${together.files} bundled files read together (Promise.all), median of ${RUNS}`,
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
