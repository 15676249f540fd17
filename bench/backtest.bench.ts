/**
 * The backtest through the full pipeline (load + validate + replay + signals + pipeline +
 * paper fills + trade records), over the same data as `decode_candles_per_s`, in rules mode.
 *
 * backtest_throughput_candles_per_s          bundled data/, all symbols, median of 5 (after a warm-up run)
 * backtest_time_vs_decode_ratio              backtest time / raw decode time of the same files (target ≤ 4)
 * backtest_engine_candles_per_s              the same without loading: replay + decisions + paper fills only
 * backtest_peak_rss_mb                       process RSS after the runs
 * backtest_throughput_candles_per_s_shared   ../shared/data, all five symbols, one year (when present)
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMarketHistory } from '../src/adapters/data/history.js';
import { availableSymbols, bundledDataDir, dataLayout } from '../src/adapters/data/layout.js';
import { readCandles } from '../src/adapters/data/series.js';
import { runBacktest } from '../src/backtest/run-backtest.js';
import { backtestConfig } from '../src/backtest/settings.js';
import { silentLogger } from '../src/logger.js';
import { rssMb, type Emit } from './figure.js';

const RUNS = 5;
const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function decodeMs(dataDir: string, symbols: readonly string[], runs: number): Promise<number> {
  const layout = dataLayout(dataDir);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    for (const symbol of symbols) await readCandles(layout.files(symbol).candles);
    times.push(performance.now() - started);
  }
  return median(times);
}

async function backtestMs(
  dataDir: string,
  symbols: readonly string[],
  runs: number,
): Promise<{ ms: number; candles: number; trades: number }> {
  const times: number[] = [];
  let candles = 0;
  let trades = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const result = await runBacktest({ config: backtestConfig({}, { symbols, dataDir }).config, logger: silentLogger });
    times.push(performance.now() - started);
    candles = result.summary.candles;
    trades = result.summary.trades;
  }
  return { ms: median(times), candles, trades };
}

export async function run(emit: Emit): Promise<void> {
  const dataDir = bundledDataDir();
  const symbols = availableSymbols(dataDir);
  // One unmeasured run first: module loading and JIT warm-up are not throughput. Then decode
  // and backtest alternate, so drift in the machine's speed hits both the same way.
  await backtestMs(dataDir, symbols, 1);
  const decodeTimes: number[] = [];
  const backtestTimes: number[] = [];
  let last = { ms: 0, candles: 0, trades: 0 };
  for (let run = 0; run < RUNS; run++) {
    decodeTimes.push(await decodeMs(dataDir, symbols, 1));
    last = await backtestMs(dataDir, symbols, 1);
    backtestTimes.push(last.ms);
  }
  const decode = median(decodeTimes);
  const backtest = { ...last, ms: median(backtestTimes) };
  emit({
    name: 'backtest_throughput_candles_per_s',
    value: Math.round(backtest.candles / (backtest.ms / 1000)),
    unit: 'candles/s',
    baseline: 'decode_candles_per_s',
    note: `${symbols.join(',')}: ${backtest.candles} candles, ${backtest.trades} trades, median of ${RUNS} after one warm-up run, rules mode, load + validate + replay + decisions + paper fills`,
  });
  const preloaded = await loadMarketHistory(dataDir, symbols);
  const engineTimes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await runBacktest({ config: backtestConfig({}, { symbols, dataDir }).config, logger: silentLogger, preloaded });
    engineTimes.push(performance.now() - started);
  }
  emit({
    name: 'backtest_engine_candles_per_s',
    value: Math.round(backtest.candles / (median(engineTimes) / 1000)),
    unit: 'candles/s',
    note: 'history already in memory: replay + signals + pipeline + paper fills + trade records, median of 5',
  });
  emit({ name: 'backtest_time_vs_decode_ratio', value: Math.round((backtest.ms / decode) * 100) / 100, unit: 'ratio', note: 'target ≤ 4' });
  emit({ name: 'backtest_peak_rss_mb', value: rssMb(), unit: 'MB' });

  const sharedDir = join(projectRoot, '..', 'shared', 'data');
  if (!existsSync(join(sharedDir, 'candles'))) return;
  const sharedSymbols = availableSymbols(sharedDir);
  const shared = await backtestMs(sharedDir, sharedSymbols, 1);
  emit({
    name: 'backtest_throughput_candles_per_s_shared',
    value: Math.round(shared.candles / (shared.ms / 1000)),
    unit: 'candles/s',
    note: `${sharedSymbols.join(',')}: ${shared.candles} candles, ${shared.trades} trades, one year`,
  });
  emit({ name: 'backtest_peak_rss_mb_shared', value: rssMb(), unit: 'MB' });
}
