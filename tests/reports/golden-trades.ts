/**
 * The fixed trade set of the golden tests (evaluator, report JSON, markdown).
 *
 * Report day 2026-11-29 (UTC); score window = the 7 days 2026-11-23 00:00 → 2026-11-30 00:00.
 * Starting realised equity 1000 USDT. Every scored trade risks 1R = 10 USDT; a win makes
 * `win` USDT net (15 in the golden set, 8.5 in the "69" set), a loss −10 USDT (−1R).
 * Three trades a day, in this order (W win, L loss):
 *   23: W L W   24: L W L   25: W L W   26: W W W   27: L L L   28: W L W   29: W L W
 * → 21 scored trades, 12 wins, 9 losses.
 * Not scored: one exploration trade on the 29th (+100), one trade closed on the 22nd (before
 * the window) and one closed exactly at 2026-11-30 00:00 (the next report's day).
 */
import type { TradeRecord } from '../../src/engine/types.js';

export const DAY_MS = 86_400_000;
export const WINDOW_FROM = Date.UTC(2026, 10, 23);
export const REPORT_DAY = '2026-11-29';
export const REPORT_DAY_START = Date.UTC(2026, 10, 29);
export const MIDNIGHT = Date.UTC(2026, 10, 30);

const PATTERN = ['WLW', 'LWL', 'WLW', 'WWW', 'LLL', 'WLW', 'WLW'];

export function tradeRecord(over: Partial<TradeRecord> & Pick<TradeRecord, 'id' | 'closedAt' | 'pnlUsdt'>): TradeRecord {
  const entryPrice = 100;
  const size = 10;
  const leverage = over.leverage ?? 5;
  return {
    symbol: 'BTCUSDT',
    side: 'long',
    openedAt: over.closedAt - 3_600_000,
    entryPrice,
    exitPrice: entryPrice + over.pnlUsdt / size,
    size,
    notionalUsdt: entryPrice * size,
    marginUsdt: (entryPrice * size) / leverage,
    winProbability: 0.6,
    confidence: 0.55,
    leverageRaw: leverage + 0.4,
    leverage,
    leverageClamps: [],
    baseSlPct: 1,
    slPrice: 99,
    tpPrice: 101.5,
    liquidationPrice: 80.5,
    tickSize: 0.1,
    stepSize: 0.001,
    minNotionalUsdt: 5,
    riskAmountUsdt: (entryPrice * size) / leverage,
    plannedRiskUsdt: 10,
    feesUsdt: 0.5,
    fundingUsdt: -0.1,
    slippageUsdt: 0,
    rule: 'breakout',
    exitReason: over.pnlUsdt > 0 ? 'tp' : 'sl',
    is100PctLoss: false,
    liquidated: false,
    exploration: false,
    strategyMode: 'rules',
    modelVersion: null,
    ...over,
  };
}

/** The trade set; `win` is the net P&L of a winning trade. */
export function goldenTrades(win = 15): TradeRecord[] {
  const trades: TradeRecord[] = [];
  PATTERN.forEach((day, d) => {
    [...day].forEach((kind, i) => {
      const closedAt = WINDOW_FROM + d * DAY_MS + (6 + 6 * i) * 3_600_000; // 06:00, 12:00, 18:00
      // Leverage 5 for wins and 3 for losses, and the last day's first trade at 10x: a histogram with shape.
      const leverage = d === 6 && i === 0 ? 10 : kind === 'W' ? 5 : 3;
      trades.push(tradeRecord({ id: `g${d}${i}`, closedAt, pnlUsdt: kind === 'W' ? win : -10, leverage }));
    });
  });
  trades.push(tradeRecord({ id: 'explore', closedAt: REPORT_DAY_START + 20 * 3_600_000, pnlUsdt: 100, exploration: true, leverage: 1 }));
  trades.push(tradeRecord({ id: 'before', closedAt: WINDOW_FROM - 3_600_000, pnlUsdt: -50 }));
  trades.push(tradeRecord({ id: 'next-day', closedAt: MIDNIGHT, pnlUsdt: -50 }));
  return trades;
}
