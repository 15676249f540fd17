/**
 * The backtest reads the same settings as `npm start` (environment + .env), its flags on
 * top, and every setting reaches the engine: each variable below changes the trades the
 * way it should. One month of BTCUSDT + ETHUSDT from the bundled data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledDataDir } from '../../src/adapters/data/index.js';
import { runBacktest, type BacktestResult } from '../../src/backtest/run-backtest.js';
import { backtestConfig } from '../../src/backtest/settings.js';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import type { TradeRecord } from '../../src/engine/types.js';

const fromMs = Date.parse('2025-08-01T00:00:00Z');
const toMs = Date.parse('2025-09-01T00:00:00Z') - 1;
const symbols = ['BTCUSDT', 'ETHUSDT'];

async function backtest(env: Record<string, string> = {}): Promise<BacktestResult> {
  const { config, settings } = backtestConfig(env, { symbols });
  return runBacktest({ config, settings, fromMs, toMs, logger: silentLogger });
}

const overlaps = (trades: readonly TradeRecord[]): boolean =>
  trades.some((a) => trades.some((b) => a !== b && a.openedAt < b.closedAt && b.openedAt < a.closedAt));

describe('backtest settings: environment, then flags', () => {
  it('flags override the environment; --strategy defaults to rules whatever STRATEGY_MODE says', () => {
    const env = {
      SYMBOLS: 'SOLUSDT',
      PAPER_STARTING_BALANCE_USDT: '500',
      STRATEGY_MODE: 'self_learning',
      TAKER_FEE_PCT: '0.04',
      TRADING_MODE: 'live',
    };
    const { config, settings } = backtestConfig(env, { symbols: ['BTCUSDT'], equityUsdt: 2000 });
    expect(config.symbols).toEqual(['BTCUSDT']);
    expect(config.paper.startingBalanceUsdt).toBe(2000);
    expect(config.strategyMode).toBe('rules');
    expect(config.paper.takerFeeRate).toBeCloseTo(0.0004, 12);
    // A backtest is always the paper venue on replayed data.
    expect(config.tradingMode).toBe('paper');
    expect(config.marketData).toBe('replay');
    expect(settings.SYMBOLS).toEqual({ value: 'BTCUSDT', source: 'flag' });
    expect(settings.PAPER_STARTING_BALANCE_USDT).toEqual({ value: '2000', source: 'flag' });
    expect(settings.STRATEGY_MODE).toEqual({ value: 'rules', source: 'default' });
    expect(settings.TAKER_FEE_PCT).toEqual({ value: '0.04', source: 'environment' });
    expect(settings.SLIPPAGE_PCT).toEqual({ value: '0.05', source: 'default' });
    expect(settings.MAX_LEVERAGE).toEqual({ value: null, source: 'default' });
    expect(settings.DATA_DIR).toEqual({ value: bundledDataDir(), source: 'default' });
    expect(backtestConfig(env, { strategy: 'self_learning' }).settings.STRATEGY_MODE).toEqual({ value: 'self_learning', source: 'flag' });
  });

  it('an invalid variable is a ConfigError naming it, as with npm start', () => {
    expect(() => backtestConfig({ TAKER_FEE_PCT: 'lots' })).toThrow(ConfigError);
    expect(() => backtestConfig({ TAKER_FEE_PCT: 'lots' })).toThrow(/TAKER_FEE_PCT/);
  });
});

describe('settings change the backtest', () => {
  let base: BacktestResult;
  beforeAll(async () => {
    base = await backtest();
  });

  it('TAKER_FEE_PCT: a 0.2 % taker fee is charged on every entry', async () => {
    const run = await backtest({ TAKER_FEE_PCT: '0.2', MIN_RR_RATIO: '0' });
    expect(base.trades.every((t) => t.feesUsdt < 0.0015 * t.notionalUsdt)).toBe(true);
    expect(run.trades.length).toBeGreaterThan(0);
    // The entry is a market order: at least 0.2 % of the notional in fees on every trade.
    for (const t of run.trades) expect(t.feesUsdt).toBeGreaterThanOrEqual(0.002 * t.notionalUsdt * 0.999);
  });

  it('TAKER_FEE_PCT: with a 0.5 % fee the fee-adjusted R:R gate (MIN_RR_RATIO 1.0) refuses every signal', async () => {
    expect(base.trades.length).toBeGreaterThan(0);
    const run = await backtest({ TAKER_FEE_PCT: '0.5' });
    expect(run.trades).toEqual([]);
  });

  it('SLIPPAGE_PCT: 1 % slippage makes the trades different and worse', async () => {
    const run = await backtest({ SLIPPAGE_PCT: '1' });
    expect(run.trades).not.toEqual(base.trades);
    expect(run.summary.pnlUsdt).toBeLessThan(base.summary.pnlUsdt);
  });

  it('MAX_LEVERAGE=1 caps every trade at 1x', async () => {
    expect(base.trades.some((t) => t.leverage > 1)).toBe(true);
    const run = await backtest({ MAX_LEVERAGE: '1' });
    expect(run.trades.length).toBeGreaterThan(0);
    expect(run.trades.every((t) => t.leverage === 1)).toBe(true);
  });

  it('TIME_STOP_HOURS=1 closes every position within the hour (checked at candle closes)', async () => {
    expect(base.trades.some((t) => t.closedAt - t.openedAt > 3_600_000 + 5 * 60_000)).toBe(true);
    const run = await backtest({ TIME_STOP_HOURS: '1' });
    expect(run.trades.some((t) => t.exitReason === 'time')).toBe(true);
    for (const t of run.trades) expect(t.closedAt - t.openedAt).toBeLessThanOrEqual(3_600_000 + 5 * 60_000);
  });

  it('EXPLORATION_RATE=0 takes no exploration trade', async () => {
    expect(base.trades.some((t) => t.exploration)).toBe(true);
    const run = await backtest({ EXPLORATION_RATE: '0' });
    expect(run.trades.length).toBeGreaterThan(0);
    expect(run.trades.some((t) => t.exploration)).toBe(false);
  });

  it('MAX_OPEN_POSITIONS=1 never holds two positions at once', async () => {
    expect(overlaps(base.trades)).toBe(true);
    const run = await backtest({ MAX_OPEN_POSITIONS: '1' });
    expect(run.trades.length).toBeGreaterThan(0);
    expect(overlaps(run.trades)).toBe(false);
  });
});
