/**
 * Performance statistics of a list of closed trades: what the backtest summary and
 * (later) the daily report show. Pure functions of the trades and the period.
 */
import type { TradeRecord } from './types.js';

const DAY_MS = 86_400_000;

export interface PerformanceSummary {
  readonly trades: number;
  readonly explorationTrades: number;
  readonly wins: number;
  /** Fraction 0..1 of trades with pnlUsdt > 0. */
  readonly winRate: number;
  readonly pnlUsdt: number;
  readonly feesUsdt: number;
  /** Signed: positive when received. */
  readonly fundingUsdt: number;
  readonly startingEquityUsdt: number;
  readonly endingEquityUsdt: number;
  /** Largest peak-to-trough fall of realised equity, percent of the peak. */
  readonly maxDrawdownPct: number;
  /** Daily returns of realised equity, mean/std × √365 (crypto trades every day); 0 when undefined. */
  readonly sharpe: number;
  readonly losses100Pct: number;
  readonly liquidations: number;
  /** Percent of the period with at least one open position. */
  readonly exposurePct: number;
  readonly averageLeverage: number;
  readonly exitReasons: Readonly<Record<string, number>>;
}

export function summarisePerformance(
  trades: readonly TradeRecord[],
  period: { readonly fromMs: number; readonly toMs: number; readonly startingEquityUsdt: number },
): PerformanceSummary {
  const ordered = [...trades].sort((a, b) => a.closedAt - b.closedAt || (a.id < b.id ? -1 : 1));
  let pnl = 0;
  let fees = 0;
  let funding = 0;
  let wins = 0;
  let leverageSum = 0;
  const exitReasons: Record<string, number> = {};
  let equity = period.startingEquityUsdt;
  let peak = equity;
  let maxDrawdown = 0;
  for (const t of ordered) {
    pnl += t.pnlUsdt;
    fees += t.feesUsdt;
    funding += t.fundingUsdt;
    leverageSum += t.leverage;
    if (t.pnlUsdt > 0) wins++;
    exitReasons[t.exitReason] = (exitReasons[t.exitReason] ?? 0) + 1;
    equity += t.pnlUsdt;
    peak = Math.max(peak, equity);
    if (peak > 0) maxDrawdown = Math.max(maxDrawdown, (peak - equity) / peak);
  }
  return {
    trades: ordered.length,
    explorationTrades: ordered.filter((t) => t.exploration).length,
    wins,
    winRate: ordered.length === 0 ? 0 : wins / ordered.length,
    pnlUsdt: pnl,
    feesUsdt: fees,
    fundingUsdt: funding,
    startingEquityUsdt: period.startingEquityUsdt,
    endingEquityUsdt: period.startingEquityUsdt + pnl,
    maxDrawdownPct: maxDrawdown * 100,
    sharpe: dailySharpe(ordered, period),
    losses100Pct: ordered.filter((t) => t.is100PctLoss).length,
    liquidations: ordered.filter((t) => t.liquidated).length,
    exposurePct: exposurePct(ordered, period.fromMs, period.toMs),
    averageLeverage: ordered.length === 0 ? 0 : leverageSum / ordered.length,
    exitReasons,
  };
}

/** Annualised Sharpe of daily realised returns (risk-free 0): mean / sample std × √365. */
export function dailySharpe(
  trades: readonly TradeRecord[],
  period: { readonly fromMs: number; readonly toMs: number; readonly startingEquityUsdt: number },
): number {
  const firstDay = Math.floor(period.fromMs / DAY_MS);
  const lastDay = Math.floor(period.toMs / DAY_MS);
  const days = lastDay - firstDay + 1;
  if (days < 2) return 0;
  const pnlByDay = new Float64Array(days);
  for (const t of trades) {
    const index = Math.floor(t.closedAt / DAY_MS) - firstDay;
    if (index >= 0 && index < days) pnlByDay[index] = (pnlByDay[index] ?? 0) + t.pnlUsdt;
  }
  const returns: number[] = [];
  let equity = period.startingEquityUsdt;
  for (const dayPnl of pnlByDay) {
    returns.push(equity > 0 ? dayPnl / equity : 0);
    equity += dayPnl;
  }
  const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
  const variance = returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1);
  const std = Math.sqrt(variance);
  return std === 0 ? 0 : (mean / std) * Math.sqrt(365);
}

/** Percent of [fromMs, toMs] covered by the union of the trades' open intervals. */
export function exposurePct(trades: readonly TradeRecord[], fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  const intervals = trades
    .map((t) => [Math.max(fromMs, t.openedAt), Math.min(toMs, t.closedAt)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let currentStart = -Infinity;
  let currentEnd = -Infinity;
  for (const [a, b] of intervals) {
    if (a > currentEnd) {
      if (currentEnd > currentStart) covered += currentEnd - currentStart;
      currentStart = a;
      currentEnd = b;
    } else currentEnd = Math.max(currentEnd, b);
  }
  if (currentEnd > currentStart) covered += currentEnd - currentStart;
  return (covered / (toMs - fromMs)) * 100;
}
