/**
 * Trade history throughput of the default backend (sqlite in a temp dir): putTrade of 2000
 * realistic records (record + day/symbol/global indexes + crash journal), then reads through
 * the indexes (recentTrades, tradesBySymbol, tradesByDay), counted per trade returned.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SystemClock } from '../src/adapters/clock.js';
import { openStore } from '../src/db/store.js';
import type { LogFields, Logger } from '../src/engine/ports.js';
import { sampleTrade } from '../tests/db/fixtures.js';
import type { Emit } from './figure.js';

const TRADES = 2000;

const quiet: Logger = {
  debug: (_m: string, _f?: LogFields) => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quiet,
};

export async function run(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'slt-store-bench-'));
  try {
    const store = await openStore(`sqlite://${join(dir, 'state.sqlite')}`, { logger: quiet, clock: new SystemClock() });
    const trades = Array.from({ length: TRADES }, (_, i) => sampleTrade(i));

    const writeStart = performance.now();
    for (const trade of trades) await store.putTrade(trade);
    const writeMs = performance.now() - writeStart;
    emit({
      name: 'store_trade_write_per_s',
      value: Math.round((TRADES / writeMs) * 1000),
      unit: 'ops/s',
      note: `sqlite, ${TRADES} putTrade`,
    });

    const days = [...new Set(trades.map((t) => new Date(t.closedAt).toISOString().slice(0, 10)))];
    let read = 0;
    const readStart = performance.now();
    for (let i = 0; i < 20; i++) read += (await store.recentTrades(100)).length;
    for (const symbol of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'])
      for (let i = 0; i < 10; i++) read += (await store.tradesBySymbol(symbol, 50)).length;
    for (const day of days) read += (await store.tradesByDay(day)).length;
    const readMs = performance.now() - readStart;
    emit({
      name: 'store_trade_read_per_s',
      value: Math.round((read / readMs) * 1000),
      unit: 'ops/s',
      note: `sqlite, ${read} trades read via indexes`,
    });

    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
