/**
 * The backtest report on a fixed set of trades: the headline is the non-exploration trades,
 * exploration on its own, then both; the tables and buy-and-hold, hand-computed.
 */
import { describe, expect, it } from 'vitest';
import { buildReport, buyAndHold } from '../../src/backtest/report.js';
import { renderReport } from '../../src/backtest/report-render.js';
import type { Candle, TradeRecord } from '../../src/engine/types.js';
import { tradeRecord } from '../reports/golden-trades.js';

const D0 = Date.parse('2025-01-01T00:00:00Z');
const H = 3_600_000;
const candle = (timestamp: number, open: number, close: number): Candle => ({
  timestamp,
  open,
  high: Math.max(open, close),
  low: Math.min(open, close),
  close,
  volume: 1,
});

/*
 *  id  symbol   side   rule       exit   pnl   fees  slip  exploration
 *  A   BTCUSDT  long   breakout   tp     +30   1     0.5
 *  B   ETHUSDT  short  breakout   sl     -10   1     1
 *  C   BTCUSDT  short  pullback   sl     -20   2     0.5
 *  X   ETHUSDT  long   breakout   sl      -4   0.2   0.1   yes (1x)
 */
const trades: TradeRecord[] = [
  tradeRecord({
    id: 'A',
    symbol: 'BTCUSDT',
    side: 'long',
    rule: 'breakout',
    exitReason: 'tp',
    closedAt: D0 + 2 * H,
    pnlUsdt: 30,
    feesUsdt: 1,
    slippageUsdt: 0.5,
    fundingUsdt: 0,
    plannedRiskUsdt: 10,
  }),
  tradeRecord({
    id: 'B',
    symbol: 'ETHUSDT',
    side: 'short',
    rule: 'breakout',
    exitReason: 'sl',
    closedAt: D0 + 26 * H,
    pnlUsdt: -10,
    feesUsdt: 1,
    slippageUsdt: 1,
    fundingUsdt: 0,
    plannedRiskUsdt: 10,
  }),
  tradeRecord({
    id: 'C',
    symbol: 'BTCUSDT',
    side: 'short',
    rule: 'pullback',
    exitReason: 'sl',
    closedAt: D0 + 30 * H,
    pnlUsdt: -20,
    feesUsdt: 2,
    slippageUsdt: 0.5,
    fundingUsdt: 0,
    plannedRiskUsdt: 20,
  }),
  tradeRecord({
    id: 'X',
    symbol: 'ETHUSDT',
    side: 'long',
    rule: 'breakout',
    exitReason: 'sl',
    closedAt: D0 + 40 * H,
    pnlUsdt: -4,
    feesUsdt: 0.2,
    slippageUsdt: 0.1,
    fundingUsdt: 0,
    plannedRiskUsdt: 4,
    exploration: true,
    leverage: 1,
  }),
];
// BTC 100 → 120 (+20 %), ETH 50 → 45 (−10 %) over two days: equal weight +5 %.
const candles = new Map<string, Candle[]>([
  ['BTCUSDT', [candle(D0, 100, 90), candle(D0 + 24 * H, 90, 120)]],
  ['ETHUSDT', [candle(D0, 50, 55), candle(D0 + 24 * H, 55, 45)]],
]);
const period = {
  fromMs: D0,
  toMs: D0 + 48 * H,
  from: '2025-01-01T00:00:00.000Z',
  to: '2025-01-03T00:00:00.000Z',
  days: 2,
  symbols: ['BTCUSDT', 'ETHUSDT'],
  strategy: 'rules' as const,
  candles: 4,
  startingEquityUsdt: 1000,
};
const signals = { proposed: 10, taken: 4, explored: 1, refused: 6, refusedBy: { min_win_probability: 5, min_rr_ratio: 2 } };

describe('backtest report', () => {
  const report = buildReport({ trades, period, settings: null, signals, candles, dataWarnings: ['no funding data for ETHUSDT'] });

  it('headline: non-exploration trades only; exploration apart; all together', () => {
    // Strategy: 30 − 10 − 20 = 0 net; fees 4; slippage 2; PF 30 / 30 = 1; expectancy R (3 − 1 − 1) / 3 = 1/3.
    expect(report.summary).toMatchObject({
      trades: 3,
      wins: 1,
      pnlUsdt: 0,
      feesUsdt: 4,
      slippageUsdt: 2,
      profitFactor: 1,
      expectancyUsdt: 0,
    });
    expect(report.summary.expectancyR).toBeCloseTo(1 / 3, 12);
    expect(report.summary.winRate).toBeCloseTo(1 / 3, 12);
    // Drawdown from the 1030 peak to 1000: 30 / 1030.
    expect(report.summary.maxDrawdownPct).toBeCloseTo((30 / 1030) * 100, 9);
    expect(report.exploration).toMatchObject({ trades: 1, pnlUsdt: -4, profitFactor: 0, expectancyR: -1 });
    expect(report.all).toMatchObject({ trades: 4, pnlUsdt: -4 });
  });

  it('tables per pair, exit reason, rule and side cover the non-exploration trades', () => {
    expect(report.perPair.map((r) => [r.key, r.trades, r.pnlUsdt])).toEqual([
      ['BTCUSDT', 2, 10],
      ['ETHUSDT', 1, -10],
    ]);
    expect(report.perExitReason.map((r) => [r.key, r.trades, r.pnlUsdt])).toEqual([
      ['sl', 2, -30],
      ['tp', 1, 30],
    ]);
    expect(report.perRule.map((r) => [r.key, r.trades, r.pnlUsdt])).toEqual([
      ['breakout', 2, 20],
      ['pullback', 1, -20],
    ]);
    expect(report.longShort.map((r) => [r.key, r.trades, r.pnlUsdt])).toEqual([
      ['short', 2, -30],
      ['long', 1, 30],
    ]);
    expect(report.leverageDistribution).toEqual([
      { leverage: 1, trades: 1 },
      { leverage: 5, trades: 3 },
    ]);
  });

  it('buy-and-hold: equal weight of BTC +20 % and ETH −10 % is +5 %, 50 USDT on 1000', () => {
    expect(report.buyAndHold.returnPct).toBeCloseTo(5, 9);
    expect(report.buyAndHold.pnlUsdt).toBeCloseTo(50, 9);
    // Day 1 closes: BTC 90/100, ETH 55/50 → 500 × 0.9 + 500 × 1.1 = 1000; day 2: 500 × 1.2 + 500 × 0.9 = 1050. No drawdown.
    expect(report.buyAndHold.maxDrawdownPct).toBe(0);
    const falling = buyAndHold(new Map([['BTCUSDT', [candle(D0, 100, 80), candle(D0 + 24 * H, 80, 90)]]]), {
      fromMs: D0,
      toMs: D0 + 48 * H,
      startingEquityUsdt: 1000,
    });
    // 1000 → 800 → 900: drawdown 20 %, return −10 %.
    expect(falling.maxDrawdownPct).toBeCloseTo(20, 9);
    expect(falling.returnPct).toBeCloseTo(-10, 9);
  });

  it('warns on the short sample, and renders the same numbers as text and markdown', () => {
    expect(report.warnings[0]).toBe('no funding data for ETHUSDT');
    expect(report.warnings.some((w) => /headline .*only 2 days .*annualised from a short sample/.test(w))).toBe(true);
    expect(report.warnings.some((w) => /only 3 trades/.test(w))).toBe(true);
    const text = renderReport(report, 'text');
    const md = renderReport(report, 'markdown');
    for (const out of [text, md]) {
      expect(out).toContain('refused 6 (by gate: min_win_probability 5, min_rr_ratio 2)');
      expect(out).toContain('pullback');
      expect(out).toContain('⚠ no funding data for ETHUSDT');
    }
    expect(md).toMatch(/^\| pair \| trades \|/m);
  });
});
