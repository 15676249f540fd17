/**
 * Performance metrics: ONE pure implementation of each figure the backtest report, the
 * daily report card and the model score show. Functions of closed trade records, a
 * period and a starting equity; no clock, no I/O.
 *
 * Conventions (a quant reads these first):
 * - Fractions are `…Rate` (0.05 = 5 %); percents are made only where a report prints them.
 * - A figure that is undefined for the input (no trades, no losing trade, fewer than two
 *   days, zero variance) is `null`, never a silent 0 or Infinity.
 * - Daily figures use UTC days. A period `[fromMs, toMs)` covers the UTC days from the one
 *   holding `fromMs` to the one holding `toMs − 1 ms`: a period ending exactly at
 *   midnight does not count the day that starts at its end.
 * - Returns are realised: equity moves when a trade closes (net P&L: price P&L − fees +
 *   funding). Sharpe and Sortino use daily returns, risk-free rate 0, annualised × √365
 *   (crypto trades every day); CAGR compounds over 365-day years.
 * - Annualised figures from a short sample are still computed but `sampleWarnings` says so.
 */
import type { TradeRecord } from './types.js';

export const DAY_MS = 86_400_000;
export const DAYS_PER_YEAR = 365;
/** Below this many days, annualised figures (CAGR, Sharpe, Sortino, Calmar) get a warning. */
export const MIN_DAYS_TO_ANNUALISE = 30;
/** Below this many trades, per-trade statistics (win rate, profit factor, expectancy) get a warning. */
export const MIN_TRADES_FOR_STATISTICS = 30;

/** What the metrics read of a trade record. `slippageUsdt` is absent on records written before it existed. */
export type MetricsTrade = Pick<
  TradeRecord,
  | 'id'
  | 'symbol'
  | 'side'
  | 'openedAt'
  | 'closedAt'
  | 'leverage'
  | 'plannedRiskUsdt'
  | 'feesUsdt'
  | 'fundingUsdt'
  | 'pnlUsdt'
  | 'is100PctLoss'
  | 'liquidated'
> & { readonly slippageUsdt?: number };

/** The measured period `[fromMs, toMs)` and the equity at its start. */
export interface MetricsPeriod {
  readonly fromMs: number;
  readonly toMs: number;
  readonly startingEquityUsdt: number;
}

/** Trades in the order they closed (ties by id), the order every path-dependent metric uses. */
export function byCloseTime<T extends MetricsTrade>(trades: readonly T[]): T[] {
  return [...trades].sort((a, b) => a.closedAt - b.closedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const sum = (values: Iterable<number>): number => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};

// ---------------------------------------------------------------------------------------
// Per-trade figures

/** Fraction of trades with a positive net P&L; null without trades. */
export function winRate(trades: readonly MetricsTrade[]): number | null {
  if (trades.length === 0) return null;
  return trades.filter((t) => t.pnlUsdt > 0).length / trades.length;
}

/** Sum of net P&L (price P&L − fees + funding). */
export const netPnlUsdt = (trades: readonly MetricsTrade[]): number => sum(trades.map((t) => t.pnlUsdt));
/** Sum of fees paid (entry and exit). */
export const feesUsdt = (trades: readonly MetricsTrade[]): number => sum(trades.map((t) => t.feesUsdt));
/** Sum of slippage paid against the order's reference price (0 for records without the field). */
export const slippageUsdt = (trades: readonly MetricsTrade[]): number => sum(trades.map((t) => t.slippageUsdt ?? 0));
/** Sum of funding, signed: positive when received. */
export const fundingUsdt = (trades: readonly MetricsTrade[]): number => sum(trades.map((t) => t.fundingUsdt));

/** Gross profit of winners / gross loss of losers (net P&L); null when no trade lost. */
export function profitFactor(trades: readonly MetricsTrade[]): number | null {
  const grossProfit = sum(trades.filter((t) => t.pnlUsdt > 0).map((t) => t.pnlUsdt));
  const grossLoss = -sum(trades.filter((t) => t.pnlUsdt < 0).map((t) => t.pnlUsdt));
  return grossLoss === 0 ? null : grossProfit / grossLoss;
}

/** Mean net P&L per trade in USDT; null without trades. */
export function expectancyUsdt(trades: readonly MetricsTrade[]): number | null {
  return trades.length === 0 ? null : netPnlUsdt(trades) / trades.length;
}

/** The trade's R multiple: net P&L / planned risk (1R = `plannedRiskUsdt`, size × |entry − SL|); null when the risk is 0. */
export function rMultiple(trade: MetricsTrade): number | null {
  return trade.plannedRiskUsdt > 0 ? trade.pnlUsdt / trade.plannedRiskUsdt : null;
}

/** Mean R multiple over the trades that have a planned risk; null when none has. */
export function expectancyR(trades: readonly MetricsTrade[]): number | null {
  const rs = trades.map(rMultiple).filter((r): r is number => r !== null);
  return rs.length === 0 ? null : sum(rs) / rs.length;
}

/** Mean time a position stayed open, in ms; null without trades. */
export function averageDurationMs(trades: readonly MetricsTrade[]): number | null {
  return trades.length === 0 ? null : sum(trades.map((t) => t.closedAt - t.openedAt)) / trades.length;
}

/** Highest net P&L trade (the earlier close wins a tie); null without trades. */
export function bestTrade<T extends MetricsTrade>(trades: readonly T[]): T | null {
  let best: T | null = null;
  for (const t of byCloseTime(trades)) if (best === null || t.pnlUsdt > best.pnlUsdt) best = t;
  return best;
}

/** Lowest net P&L trade (the earlier close wins a tie); null without trades. */
export function worstTrade<T extends MetricsTrade>(trades: readonly T[]): T | null {
  let worst: T | null = null;
  for (const t of byCloseTime(trades)) if (worst === null || t.pnlUsdt < worst.pnlUsdt) worst = t;
  return worst;
}

/** Most consecutive losing trades (net P&L < 0) in close order; a trade at exactly 0 ends a streak. */
export function longestLosingStreak(trades: readonly MetricsTrade[]): number {
  let longest = 0;
  let current = 0;
  for (const t of byCloseTime(trades)) {
    current = t.pnlUsdt < 0 ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}

/** BLUEPRINT "100 % loss" (net P&L ≤ −0.99 × the margin at entry), as flagged on each record. */
export const losses100Pct = (trades: readonly MetricsTrade[]): number => trades.filter((t) => t.is100PctLoss).length;
/** Liquidations (flagged `liquidated`); counted apart from 100 % losses (BLUEPRINT). */
export const liquidations = (trades: readonly MetricsTrade[]): number => trades.filter((t) => t.liquidated).length;

export interface LeverageBucket {
  readonly leverage: number;
  readonly trades: number;
}

/** Trades per applied leverage, ascending. */
export function leverageDistribution(trades: readonly MetricsTrade[]): LeverageBucket[] {
  const counts = new Map<number, number>();
  for (const t of trades) counts.set(t.leverage, (counts.get(t.leverage) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([leverage, n]) => ({ leverage, trades: n }));
}

/** Fraction of `[fromMs, toMs)` with at least one position open (union of the trades' open intervals). */
export function exposureRate(trades: readonly MetricsTrade[], fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  const intervals = trades
    .map((t) => [Math.max(fromMs, t.openedAt), Math.min(toMs, t.closedAt)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let start = 0;
  let end = -Infinity;
  for (const [a, b] of intervals) {
    if (a > end) {
      if (end > start) covered += end - start;
      start = a;
      end = b;
    } else end = Math.max(end, b);
  }
  if (end > start) covered += end - start;
  return covered / (toMs - fromMs);
}

// ---------------------------------------------------------------------------------------
// Days and the equity curve

/** Number of UTC days the period touches (see the module comment: an end at midnight adds no day). */
export function periodDayCount(fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  return Math.floor((toMs - 1) / DAY_MS) - Math.floor(fromMs / DAY_MS) + 1;
}

/** Length of the period in days (fractional), the exponent base of CAGR. */
export const periodLengthDays = (fromMs: number, toMs: number): number => Math.max(0, toMs - fromMs) / DAY_MS;

export interface DailyPnl {
  /** 00:00 UTC of the day. */
  readonly dayStartMs: number;
  readonly pnlUsdt: number;
  /** Realised equity at the end of the day. */
  readonly equityUsdt: number;
}

/**
 * Net P&L of each UTC day of the period (days without a close included, at 0). A trade
 * counts on the day it closed; one closed exactly at `toMs` counts on the last day.
 * Trades closed outside `[fromMs, toMs]` are ignored.
 */
export function dailyPnl(trades: readonly MetricsTrade[], period: MetricsPeriod): DailyPnl[] {
  const days = periodDayCount(period.fromMs, period.toMs);
  if (days === 0) return [];
  const firstDay = Math.floor(period.fromMs / DAY_MS);
  const pnlByDay = new Float64Array(days);
  for (const t of trades) {
    if (t.closedAt < period.fromMs || t.closedAt > period.toMs) continue;
    const index = Math.min(days - 1, Math.floor(t.closedAt / DAY_MS) - firstDay);
    pnlByDay[index] = (pnlByDay[index] ?? 0) + t.pnlUsdt;
  }
  const out: DailyPnl[] = [];
  let equity = period.startingEquityUsdt;
  for (let i = 0; i < days; i++) {
    const pnl = pnlByDay[i] ?? 0;
    equity += pnl;
    out.push({ dayStartMs: (firstDay + i) * DAY_MS, pnlUsdt: pnl, equityUsdt: equity });
  }
  return out;
}

/** Each day's return: its P&L over the equity at the start of the day (0 when that equity is ≤ 0). */
export function dailyReturns(days: readonly DailyPnl[], startingEquityUsdt: number): number[] {
  const out: number[] = [];
  let equity = startingEquityUsdt;
  for (const day of days) {
    out.push(equity > 0 ? day.pnlUsdt / equity : 0);
    equity = day.equityUsdt;
  }
  return out;
}

/** Best day by P&L (the earlier day wins a tie); null without days. */
export function bestDay(days: readonly DailyPnl[]): DailyPnl | null {
  let best: DailyPnl | null = null;
  for (const d of days) if (best === null || d.pnlUsdt > best.pnlUsdt) best = d;
  return best;
}

/** Worst day by P&L (the earlier day wins a tie); null without days. */
export function worstDay(days: readonly DailyPnl[]): DailyPnl | null {
  let worst: DailyPnl | null = null;
  for (const d of days) if (worst === null || d.pnlUsdt < worst.pnlUsdt) worst = d;
  return worst;
}

const mean = (xs: readonly number[]): number => sum(xs) / xs.length;

/** Annualised Sharpe of daily returns: mean / sample standard deviation × √365; null with < 2 days or no variance. */
export function sharpe(returns: readonly number[]): number | null {
  if (returns.length < 2) return null;
  const m = mean(returns);
  const variance = sum(returns.map((r) => (r - m) ** 2)) / (returns.length - 1);
  const std = Math.sqrt(variance);
  return std === 0 ? null : (m / std) * Math.sqrt(DAYS_PER_YEAR);
}

/**
 * Annualised Sortino of daily returns: mean / downside deviation × √365, where the downside
 * deviation is √(Σ min(r, 0)² / n) over all n days (target 0); null with < 2 days or no losing day.
 */
export function sortino(returns: readonly number[]): number | null {
  if (returns.length < 2) return null;
  const downside = Math.sqrt(sum(returns.map((r) => Math.min(r, 0) ** 2)) / returns.length);
  return downside === 0 ? null : (mean(returns) / downside) * Math.sqrt(DAYS_PER_YEAR);
}

/** Compound annual growth rate from start to end equity over `days` days: (end/start)^(365/days) − 1; −1 when ruined. */
export function cagrRate(startingEquityUsdt: number, endingEquityUsdt: number, days: number): number | null {
  if (days <= 0 || startingEquityUsdt <= 0) return null;
  if (endingEquityUsdt <= 0) return -1;
  return (endingEquityUsdt / startingEquityUsdt) ** (DAYS_PER_YEAR / days) - 1;
}

/** Calmar: CAGR / max drawdown (both fractions); null when either is undefined or there was no drawdown. */
export function calmar(cagr: number | null, maxDrawdown: number): number | null {
  return cagr === null || maxDrawdown <= 0 ? null : cagr / maxDrawdown;
}

export interface EquityPoint {
  readonly atMs: number;
  readonly equityUsdt: number;
}

/** Realised equity: the starting equity at `fromMs`, then one point at each trade's close. */
export function realisedEquityCurve(trades: readonly MetricsTrade[], period: MetricsPeriod): EquityPoint[] {
  const points: EquityPoint[] = [{ atMs: period.fromMs, equityUsdt: period.startingEquityUsdt }];
  let equity = period.startingEquityUsdt;
  for (const t of byCloseTime(trades)) {
    equity += t.pnlUsdt;
    points.push({ atMs: t.closedAt, equityUsdt: equity });
  }
  return points;
}

export interface Drawdown {
  /** Largest peak-to-trough fall, as a fraction of the peak; 0 when equity never fell. */
  readonly maxDrawdownRate: number;
  /** Duration of that drawdown in days: from its peak until equity is back at the peak, or until `endMs` if it never is. */
  readonly maxDrawdownDays: number;
  readonly peakAtMs: number | null;
  readonly troughAtMs: number | null;
  /** When equity regained the peak; null when it had not by the end. */
  readonly recoveredAtMs: number | null;
}

/** Max drawdown of an equity curve (points in time order) and how long it lasted, up to `endMs`. */
export function maxDrawdown(points: readonly EquityPoint[], endMs: number): Drawdown {
  let peak = -Infinity;
  let peakAt = 0;
  let episode = 0; // increases at every new peak: a drawdown episode runs from one peak to the next
  let maxRate = 0;
  let maxEpisode = -1;
  let maxPeakAt: number | null = null;
  let troughAt: number | null = null;
  let recoveredAt: number | null = null;
  for (const p of points) {
    if (p.equityUsdt >= peak) {
      if (episode === maxEpisode && recoveredAt === null) recoveredAt = p.atMs;
      peak = p.equityUsdt;
      peakAt = p.atMs;
      episode++;
      continue;
    }
    const rate = peak > 0 ? (peak - p.equityUsdt) / peak : 0;
    if (rate > maxRate) {
      maxRate = rate;
      maxEpisode = episode;
      maxPeakAt = peakAt;
      troughAt = p.atMs;
      recoveredAt = null;
    }
  }
  const days = maxPeakAt === null ? 0 : ((recoveredAt ?? endMs) - maxPeakAt) / DAY_MS;
  return {
    maxDrawdownRate: maxRate,
    maxDrawdownDays: Math.max(0, days),
    peakAtMs: maxPeakAt,
    troughAtMs: troughAt,
    recoveredAtMs: recoveredAt,
  };
}

/**
 * Equal-weight buy-and-hold of the same pairs over the same period: each pair gets the same
 * share of the equity at its first price and is held to its last; the return is the mean of
 * the pairs' returns. Null without pairs.
 */
export function buyAndHoldReturnRate(pairs: readonly { readonly firstPrice: number; readonly lastPrice: number }[]): number | null {
  const valid = pairs.filter((p) => p.firstPrice > 0);
  if (valid.length === 0) return null;
  return mean(valid.map((p) => p.lastPrice / p.firstPrice - 1));
}

// ---------------------------------------------------------------------------------------
// Sample size

/** Warning lines for figures computed on too few days or trades (empty when the sample is big enough). */
export function sampleWarnings(
  sample: { readonly days: number; readonly trades: number },
  thresholds: { readonly minDays: number; readonly minTrades: number } = {
    minDays: MIN_DAYS_TO_ANNUALISE,
    minTrades: MIN_TRADES_FOR_STATISTICS,
  },
): string[] {
  const warnings: string[] = [];
  if (sample.days < 2)
    warnings.push(
      `only ${sample.days} day${sample.days === 1 ? '' : 's'}: Sharpe and Sortino need at least 2 daily returns and are not given; CAGR and Calmar extrapolate a single day`,
    );
  else if (sample.days < thresholds.minDays)
    warnings.push(
      `only ${sample.days} days (< ${thresholds.minDays}): CAGR, Sharpe, Sortino and Calmar are annualised from a short sample; treat them as noise`,
    );
  if (sample.trades < thresholds.minTrades)
    warnings.push(
      `only ${sample.trades} trade${sample.trades === 1 ? '' : 's'} (< ${thresholds.minTrades}): win rate, profit factor and expectancy are not statistically meaningful`,
    );
  return warnings;
}

// ---------------------------------------------------------------------------------------
// Everything at once

export interface TradeMetrics {
  readonly trades: number;
  readonly wins: number;
  readonly losses: number;
  readonly winRate: number | null;
  readonly netPnlUsdt: number;
  readonly feesUsdt: number;
  readonly slippageUsdt: number;
  readonly fundingUsdt: number;
  readonly profitFactor: number | null;
  readonly expectancyR: number | null;
  readonly expectancyUsdt: number | null;
  readonly startingEquityUsdt: number;
  readonly endingEquityUsdt: number;
  readonly returnRate: number | null;
  /** UTC days in the period (see `periodDayCount`). */
  readonly days: number;
  readonly cagrRate: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly maxDrawdownRate: number;
  readonly maxDrawdownDays: number;
  readonly exposureRate: number;
  readonly averageDurationMs: number | null;
  readonly bestTrade: { readonly id: string; readonly symbol: string; readonly pnlUsdt: number } | null;
  readonly worstTrade: { readonly id: string; readonly symbol: string; readonly pnlUsdt: number } | null;
  readonly bestDay: { readonly day: string; readonly pnlUsdt: number } | null;
  readonly worstDay: { readonly day: string; readonly pnlUsdt: number } | null;
  readonly longestLosingStreak: number;
  readonly losses100Pct: number;
  readonly liquidations: number;
  readonly leverageDistribution: readonly LeverageBucket[];
  readonly warnings: readonly string[];
}

const tradeRef = (t: MetricsTrade | null): TradeMetrics['bestTrade'] =>
  t === null ? null : { id: t.id, symbol: t.symbol, pnlUsdt: t.pnlUsdt };
const dayRef = (d: DailyPnl | null): TradeMetrics['bestDay'] =>
  d === null ? null : { day: new Date(d.dayStartMs).toISOString().slice(0, 10), pnlUsdt: d.pnlUsdt };

/** Every metric of the trades over the period, computed by the functions above. */
export function computeMetrics(
  trades: readonly MetricsTrade[],
  period: MetricsPeriod,
  thresholds?: { readonly minDays: number; readonly minTrades: number },
): TradeMetrics {
  const net = netPnlUsdt(trades);
  const ending = period.startingEquityUsdt + net;
  const days = dailyPnl(trades, period);
  const returns = dailyReturns(days, period.startingEquityUsdt);
  const cagr = cagrRate(period.startingEquityUsdt, ending, periodLengthDays(period.fromMs, period.toMs));
  const drawdown = maxDrawdown(realisedEquityCurve(trades, period), period.toMs);
  return {
    trades: trades.length,
    wins: trades.filter((t) => t.pnlUsdt > 0).length,
    losses: trades.filter((t) => t.pnlUsdt < 0).length,
    winRate: winRate(trades),
    netPnlUsdt: net,
    feesUsdt: feesUsdt(trades),
    slippageUsdt: slippageUsdt(trades),
    fundingUsdt: fundingUsdt(trades),
    profitFactor: profitFactor(trades),
    expectancyR: expectancyR(trades),
    expectancyUsdt: expectancyUsdt(trades),
    startingEquityUsdt: period.startingEquityUsdt,
    endingEquityUsdt: ending,
    returnRate: period.startingEquityUsdt > 0 ? net / period.startingEquityUsdt : null,
    days: days.length,
    cagrRate: cagr,
    sharpe: sharpe(returns),
    sortino: sortino(returns),
    calmar: calmar(cagr, drawdown.maxDrawdownRate),
    maxDrawdownRate: drawdown.maxDrawdownRate,
    maxDrawdownDays: drawdown.maxDrawdownDays,
    exposureRate: exposureRate(trades, period.fromMs, period.toMs),
    averageDurationMs: averageDurationMs(trades),
    bestTrade: tradeRef(bestTrade(trades)),
    worstTrade: tradeRef(worstTrade(trades)),
    bestDay: dayRef(bestDay(days)),
    worstDay: dayRef(worstDay(days)),
    longestLosingStreak: longestLosingStreak(trades),
    losses100Pct: losses100Pct(trades),
    liquidations: liquidations(trades),
    leverageDistribution: leverageDistribution(trades),
    warnings: sampleWarnings({ days: days.length, trades: trades.length }, thresholds),
  };
}
