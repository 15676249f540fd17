/**
 * The backtest through the full pipeline (load + validate + replay + signals + pipeline +
 * paper fills + trade records), over the same data as `decode_candles_per_s`, in rules mode.
 *
 * backtest_throughput_candles_per_s          bundled data/, all symbols, median of 5 (after a warm-up run)
 * backtest_time_vs_decode_ratio              backtest time / raw decode time of the same files (target ≤ 4)
 * backtest_engine_candles_per_s              the same without loading: replay + decisions + paper fills only
 * backtest_peak_rss_mb                       process RSS after the runs
 * backtest_throughput_candles_per_s_shared   ../shared/data, all five symbols, one year (when present)
 * backtest_cpu_candles_per_s                 the same runs by the process's CPU time (user + system) instead of
 *                                            the wall clock: steady on a shared machine, where other work
 *                                            stretches wall time but not the CPU time the backtest itself uses
 * backtest_cpu_vs_decode_ratio               CPU time of the backtest / CPU time of the raw decode
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

/** CPU time of this process so far (user + system, every thread), in ms. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function decodeMs(dataDir: string, symbols: readonly string[]): Promise<{ ms: number; cpuMs: number }> {
  const layout = dataLayout(dataDir);
  const started = performance.now();
  const cpuStarted = cpuMs();
  for (const symbol of symbols) await readCandles(layout.files(symbol).candles);
  return { ms: performance.now() - started, cpuMs: cpuMs() - cpuStarted };
}

async function backtestMs(
  dataDir: string,
  symbols: readonly string[],
  runs: number,
): Promise<{ ms: number; cpuMs: number; candles: number; trades: number }> {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let candles = 0;
  let trades = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const cpuStarted = cpuMs();
    const result = await runBacktest({ config: backtestConfig({}, { symbols, dataDir }).config, logger: silentLogger });
    times.push(performance.now() - started);
    cpuTimes.push(cpuMs() - cpuStarted);
    candles = result.summary.candles;
    trades = result.summary.trades;
  }
  return { ms: median(times), cpuMs: median(cpuTimes), candles, trades };
}

export async function run(emit: Emit): Promise<void> {
  const dataDir = bundledDataDir();
  const symbols = availableSymbols(dataDir);
  // One unmeasured run first: module loading and JIT warm-up are not throughput. Then decode
  // and backtest alternate, so drift in the machine's speed hits both the same way.
  await backtestMs(dataDir, symbols, 1);
  const decodeTimes: number[] = [];
  const decodeCpuTimes: number[] = [];
  const backtestTimes: number[] = [];
  const backtestCpuTimes: number[] = [];
  let last = { ms: 0, cpuMs: 0, candles: 0, trades: 0 };
  for (let run = 0; run < RUNS; run++) {
    const decoded = await decodeMs(dataDir, symbols);
    decodeTimes.push(decoded.ms);
    decodeCpuTimes.push(decoded.cpuMs);
    last = await backtestMs(dataDir, symbols, 1);
    backtestTimes.push(last.ms);
    backtestCpuTimes.push(last.cpuMs);
  }
  const decode = median(decodeTimes);
  const backtest = { ...last, ms: median(backtestTimes), cpuMs: median(backtestCpuTimes) };
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
  emit({
    name: 'backtest_cpu_candles_per_s',
    value: Math.round(backtest.candles / (backtest.cpuMs / 1000)),
    unit: 'candles/s',
    note: 'the throughput runs by process CPU time (user + system): what the backtest costs, whatever else the machine runs',
  });
  emit({
    name: 'backtest_cpu_vs_decode_ratio',
    value: Math.round((backtest.cpuMs / median(decodeCpuTimes)) * 100) / 100,
    unit: 'ratio',
    note: 'CPU time, backtest / raw decode of the same files',
  });
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
