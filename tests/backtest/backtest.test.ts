import { beforeAll, describe, expect, it } from 'vitest';
import { bundledDataDir } from '../../src/adapters/data/index.js';
import { evaluatorAlertsLine, runBacktest, type BacktestResult } from '../../src/backtest/run-backtest.js';
import { backtestConfig } from '../../src/backtest/settings.js';
import { leverageRaw } from '../../src/engine/pipeline.js';
import { MemoryLogger, silentLogger } from '../../src/logger.js';
import type { TradeRecord } from '../../src/engine/types.js';

const dataDir = bundledDataDir();

/** Every record must satisfy the blueprint's formulas and the "From signal to order" pipeline. */
function assertPipelineInvariants(t: TradeRecord): void {
  const sign = t.side === 'long' ? 1 : -1;
  expect(t.leverageRaw).toBeCloseTo(leverageRaw(t.winProbability, t.confidence), 9);
  expect(Number.isInteger(t.leverage)).toBe(true);
  expect(t.leverage).toBeGreaterThanOrEqual(1);
  if (t.exploration) expect(t.leverage).toBe(1);
  else expect(t.leverage).toBeLessThanOrEqual(Math.floor(t.leverageRaw + 1e-9));
  expect(t.notionalUsdt).toBeCloseTo(t.size * t.entryPrice, 9);
  expect(t.marginUsdt).toBeCloseTo(t.notionalUsdt / t.leverage, 9);
  expect(t.riskAmountUsdt).toBe(t.marginUsdt);
  expect(t.plannedRiskUsdt).toBeCloseTo(t.size * Math.abs(t.entryPrice - t.slPrice), 9);
  const slDistance = sign * (t.entryPrice - t.slPrice);
  const tpDistance = sign * (t.tpPrice - t.entryPrice);
  expect(slDistance / t.entryPrice).toBeGreaterThanOrEqual(0.003 - 1e-12);
  expect(Math.abs(tpDistance - 1.5 * slDistance)).toBeLessThanOrEqual(t.tickSize * 1.0001);
  expect(t.notionalUsdt).toBeGreaterThanOrEqual(Math.max(10, t.minNotionalUsdt) - 1e-9);
  // The stop triggers before liquidation, with the 0.5 % buffer.
  if (t.liquidationPrice > 0) expect(sign * (t.slPrice - t.liquidationPrice)).toBeGreaterThanOrEqual(0.005 * t.entryPrice * 0.999);
  expect(t.is100PctLoss).toBe(t.pnlUsdt <= -0.99 * t.riskAmountUsdt);
  expect(t.closedAt).toBeGreaterThanOrEqual(t.openedAt);
  expect(typeof t.rule).toBe('string');
  expect(t.rule.length).toBeGreaterThan(0);
  expect(Number.isFinite(t.slippageUsdt)).toBe(true);
  // The take-profit is a limit at its price: exactly tpPrice, maker fee (defaults: taker 0.05 %, maker 0.02 %).
  if (t.exitReason === 'tp') {
    expect(t.exitPrice).toBe(t.tpPrice);
    expect(t.feesUsdt).toBeCloseTo(t.notionalUsdt * 0.0005 + t.size * t.tpPrice * 0.0002, 9);
  }
}

describe('backtest on the bundled data', () => {
  let result: BacktestResult;
  beforeAll(async () => {
    result = await runBacktest({ config: backtestConfig({}, { symbols: ['BTCUSDT'], dataDir }).config, logger: silentLogger });
  });

  it('makes at least one trade with the defaults on BTCUSDT', () => {
    expect(result.trades.length).toBeGreaterThan(0);
    expect(result.summary.trades + result.report.exploration.trades).toBe(result.trades.length);
  });

  it('writes trade records that satisfy the blueprint formulas and the pipeline', () => {
    expect(result.trades.some((t) => t.exitReason === 'tp')).toBe(true);
    for (const trade of result.trades) assertPipelineInvariants(trade);
  });

  it('adds up the summary (non-exploration trades) from the trades', () => {
    const strategy = result.trades.filter((t) => !t.exploration);
    expect(result.report.exploration.trades).toBe(result.trades.length - strategy.length);
    expect(result.report.all.pnlUsdt).toBeCloseTo(
      result.trades.reduce((s, t) => s + t.pnlUsdt, 0),
      6,
    );
    const pnl = strategy.reduce((s, t) => s + t.pnlUsdt, 0);
    const fees = strategy.reduce((s, t) => s + t.feesUsdt, 0);
    expect(result.summary.pnlUsdt).toBeCloseTo(pnl, 6);
    expect(result.summary.feesUsdt).toBeCloseTo(fees, 6);
    // Stops and market orders fill 0.05 % worse than their reference by default: a cost, next to the fees.
    const slippage = strategy.reduce((s, t) => s + t.slippageUsdt, 0);
    expect(slippage).toBeGreaterThan(0);
    expect(result.summary.slippageUsdt).toBeCloseTo(slippage, 6);
    expect(result.summary.winRate).toBeCloseTo(strategy.filter((t) => t.pnlUsdt > 0).length / strategy.length, 12);
    expect(result.summary.from).toBe('2025-08-01T00:00:00.000Z');
    expect(result.summary.symbols).toEqual(['BTCUSDT']);
    expect(result.summary.strategy).toBe('rules');
    for (const key of ['maxDrawdownPct', 'sharpe', 'losses100Pct', 'liquidations', 'exposurePct', 'fundingUsdt'] as const)
      expect(Number.isFinite(result.summary[key])).toBe(true);
  });

  it('computes net P&L as price P&L minus fees plus funding', () => {
    for (const t of result.trades.filter((x) => !x.liquidated)) {
      const sign = t.side === 'long' ? 1 : -1;
      expect(t.pnlUsdt).toBeCloseTo(sign * (t.exitPrice - t.entryPrice) * t.size - t.feesUsdt + t.fundingUsdt, 9);
    }
  });

  it('is deterministic: the same run gives the same trades', async () => {
    const again = await runBacktest({ config: backtestConfig({}, { symbols: ['BTCUSDT'], dataDir }).config, logger: silentLogger });
    expect(again.trades).toEqual(result.trades);
  });
});

describe('no look-ahead', () => {
  it('altering future candles cannot change past decisions', async () => {
    const fromMs = Date.parse('2025-08-01T00:00:00Z');
    const toMs = Date.parse('2025-09-15T00:00:00Z');
    const cutMs = Date.parse('2025-09-01T00:00:00Z');
    const config = backtestConfig({}, { symbols: ['BTCUSDT', 'ETHUSDT'], dataDir }).config;
    const base = await runBacktest({ config, fromMs, toMs, logger: silentLogger });
    const altered = await runBacktest({
      config,
      fromMs,
      toMs,
      logger: silentLogger,
      transformHistory: (history) => {
        for (const h of history.values()) {
          // Everything from the cut on is a different market: prices ×1.3, reversed wiggles.
          h.candles.forEach((c, i) => {
            if (c.timestamp < cutMs) return;
            const k = i % 2 === 0 ? 1.3 : 1.25;
            h.candles[i] = {
              ...c,
              open: c.open * k,
              high: c.high * k * 1.01,
              low: c.low * k * 0.99,
              close: c.close * k,
              volume: c.volume * 3,
            };
          });
        }
      },
    });
    const before = (r: typeof base) => r.decisions.filter((d) => d.openedAt < cutMs);
    expect(before(base).length).toBeGreaterThan(0);
    expect(before(altered)).toEqual(before(base));
    const closedBefore = (r: typeof base) => r.trades.filter((t) => t.closedAt < cutMs);
    expect(closedBefore(altered)).toEqual(closedBefore(base));
    // And the future did change something, so the test can fail.
    expect(altered.decisions).not.toEqual(base.decisions);
  });
});

describe("the daily evaluator's alerts in a backtest", () => {
  it('are summed up in one report line by kind, with their first and last day', () => {
    const day = (d: string, hours = 0): number => Date.parse(`${d}T00:00:00Z`) + hours * 3_600_000;
    const line = evaluatorAlertsLine([
      { at: day('2025-08-05'), key: 'score_below_70:2025-08-04', severity: 'critical', title: 'Model score 48/100 (below 70)' },
      { at: day('2025-08-06'), key: 'score_below_70:2025-08-05', severity: 'critical', title: 'Model score 42/100 (below 70)' },
      { at: day('2025-08-09', 3), key: 'grade_change:2025-08-08:C>B', severity: 'info', title: 'Grade C → B' },
    ]);
    expect(line).toEqual([
      'the daily evaluator raised 3 alert(s), as npm start would have: score_below_70 ×2 (2025-08-05 → 2025-08-06), grade_change ×1 (2025-08-09)',
    ]);
    expect(evaluatorAlertsLine([])).toEqual([]);
  });

  it('are not logged one by one but listed in the warnings of the report', async () => {
    // The three bundled symbols trade enough for the evaluator to grade (and alert) in the first weeks.
    const logger = new MemoryLogger();
    const result = await runBacktest({
      config: backtestConfig({}, { symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], dataDir }).config,
      logger,
    });
    expect(logger.lines.filter((l) => l.message.startsWith('ALERT'))).toEqual([]);
    expect(result.report.warnings.filter((w) => w.startsWith('the daily evaluator raised'))).toHaveLength(1);
  });
});
