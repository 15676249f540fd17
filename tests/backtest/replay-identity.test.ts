/**
 * One engine, one composition: `npm start` on paper + replay (startBot, the composition root,
 * a SQLite store) and `npm run backtest` over the same data and settings produce identical
 * trade records. The data is two weeks of BTCUSDT + ETHUSDT cut from the bundled files.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { bundledDataDir } from '../../src/adapters/data/index.js';
import { runBacktest } from '../../src/backtest/run-backtest.js';
import { backtestConfig } from '../../src/backtest/settings.js';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/db/store.js';
import { silentLogger } from '../../src/logger.js';
import { startBot } from '../../src/runtime.js';

const symbols = ['BTCUSDT', 'ETHUSDT'];
const endMs = Date.parse('2025-08-16T00:00:00Z');

/** A data folder in the bundled layout holding the candles before `endMs`. */
function sliceData(): string {
  const source = bundledDataDir();
  const dir = mkdtempSync(join(tmpdir(), 'identity-data-'));
  cpSync(join(source, 'exchange'), join(dir, 'exchange'), { recursive: true });
  mkdirSync(join(dir, 'candles'));
  mkdirSync(join(dir, 'mark'));
  mkdirSync(join(dir, 'funding'));
  for (const symbol of symbols) {
    const lines = gunzipSync(Uint8Array.from(readFileSync(join(source, 'candles', `${symbol}-5m.csv.gz`))))
      .toString('utf8')
      .trim()
      .split('\n');
    const kept = [lines[0]!, ...lines.slice(1).filter((line) => Number(line.slice(0, line.indexOf(','))) < endMs)];
    writeFileSync(join(dir, 'candles', `${symbol}-5m.csv`), `${kept.join('\n')}\n`);
    copyFileSync(join(source, 'mark', `${symbol}-1h-mark.csv.gz`), join(dir, 'mark', `${symbol}-1h-mark.csv.gz`));
    copyFileSync(join(source, 'funding', `${symbol}-funding.csv`), join(dir, 'funding', `${symbol}-funding.csv`));
  }
  return dir;
}

describe('paper replay (npm start) and backtest', () => {
  it('produce identical trade records over the same data and settings', async () => {
    const dataDir = sliceData();
    const stateDir = mkdtempSync(join(tmpdir(), 'identity-state-'));
    // Settings away from the defaults, so that both paths must read them.
    const settings = {
      SYMBOLS: symbols.join(','),
      STRATEGY_MODE: 'rules',
      DATA_DIR: dataDir,
      EXPLORATION_RATE: '0.2',
      MAX_OPEN_POSITIONS: '2',
      TIME_STOP_HOURS: '6',
      SLIPPAGE_PCT: '0.1',
    };
    const config = loadConfig({
      ...settings,
      TRADING_MODE: 'paper',
      MARKET_DATA: 'replay',
      REPLAY_SPEED: '0',
      STORE_URL: `sqlite://${join(stateDir, 'state.sqlite')}`,
      LOG_LEVEL: 'error',
    });
    const bot = await startBot(config, silentLogger);
    const finished = await Promise.race([bot.finished, new Promise<null>((resolve) => setTimeout(() => resolve(null), 120_000))]);
    expect(finished?.exitCode).toBeNull();
    await bot.stop('test');
    const store = await openStore(config.storeUrl, { logger: silentLogger, clock: new ManualClock(0) });
    const replayed = (await store.recentTrades(100_000)).sort((a, b) => a.closedAt - b.closedAt || (a.id < b.id ? -1 : 1));
    await store.close();

    const backtest = await runBacktest({ config: backtestConfig(settings).config, logger: silentLogger });
    // The backtest also closes what is still open at the end ('shutdown'); the replay leaves it open.
    const closedInBoth = backtest.trades
      .filter((t) => t.exitReason !== 'shutdown')
      .sort((a, b) => a.closedAt - b.closedAt || (a.id < b.id ? -1 : 1));
    expect(replayed.length).toBeGreaterThan(5);
    expect(replayed.some((t) => t.exploration)).toBe(true);
    expect(replayed).toEqual(closedInBoth);
  }, 180_000);
});
