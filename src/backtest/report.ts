/**
 * The backtest report: figures a quant reads first, computed by the engine's metric
 * functions (src/engine/metrics.ts), rendered as terminal tables, markdown and JSON.
 *
 * Headline on the non-exploration trades (the strategy under test), exploration on its own
 * line (BLUEPRINT "Exploration": reported separately), then both; tables per pair, per exit
 * reason, per rule, long vs short (non-exploration trades); the leverage distribution; what
 * happened to the signals; buy-and-hold of the same pairs next to the bot; warnings.
 * Extend by adding a section to `BacktestReport` and a renderer line (the self-learning
 * backtest adds its `model` section next to it).
 */
import {
  buyAndHoldReturnRate,
  cagrRate,
  computeMetrics,
  dailyReturns,
  expectancyR,
  expectancyUsdt,
  feesUsdt,
  fundingUsdt,
  leverageDistribution,
  maxDrawdown,
  netPnlUsdt,
  periodLengthDays,
  profitFactor,
  sharpe,
  slippageUsdt,
  winRate,
  DAY_MS,
  type DailyPnl,
  type EquityPoint,
  type LeverageBucket,
  type MetricsPeriod,
  type TradeMetrics,
} from '../engine/metrics.js';
import { headlineFigures, type HeadlineFigures } from '../engine/headline.js';
import { firstIndexAfter } from '../adapters/market-data/replay.js';
import type { Candle, StrategyMode, TradeRecord } from '../engine/types.js';
import type { BacktestSettings } from './settings.js';

const pct = (rate: number | null): number | null => (rate === null ? null : rate * 100);

/** One headline line: the figures every report shows, and the backtest's own, with percents for the reader. */
export interface ReportFigures extends HeadlineFigures {
  readonly returnPct: number | null;
  readonly slippageUsdt: number;
  readonly profitFactor: number | null;
  readonly cagrPct: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly maxDrawdownPct: number;
  readonly maxDrawdownDays: number;
  readonly exposurePct: number;
  readonly averageDurationHours: number | null;
  readonly bestTrade: TradeMetrics['bestTrade'];
  readonly worstTrade: TradeMetrics['worstTrade'];
  readonly bestDay: TradeMetrics['bestDay'];
  readonly worstDay: TradeMetrics['worstDay'];
  readonly longestLosingStreak: number;
  readonly averageLeverage: number | null;
  /** Sample-size warnings of these figures. */
  readonly warnings: readonly string[];
}

export function reportFigures(trades: readonly TradeRecord[], period: MetricsPeriod): ReportFigures {
  const m = computeMetrics(trades, period);
  return {
    ...headlineFigures(m),
    returnPct: pct(m.returnRate),
    slippageUsdt: m.slippageUsdt,
    profitFactor: m.profitFactor,
    cagrPct: pct(m.cagrRate),
    sortino: m.sortino,
    calmar: m.calmar,
    maxDrawdownPct: m.maxDrawdownRate * 100,
    maxDrawdownDays: m.maxDrawdownDays,
    exposurePct: m.exposureRate * 100,
    averageDurationHours: m.averageDurationMs === null ? null : m.averageDurationMs / 3_600_000,
    bestTrade: m.bestTrade,
    worstTrade: m.worstTrade,
    bestDay: m.bestDay,
    worstDay: m.worstDay,
    longestLosingStreak: m.longestLosingStreak,
    averageLeverage: trades.length === 0 ? null : trades.reduce((s, t) => s + t.leverage, 0) / trades.length,
    warnings: m.warnings,
  };
}

/** One row of a breakdown table. */
export type GroupRow = { readonly key: string } & Pick<
  ReportFigures,
  'trades' | 'winRate' | 'pnlUsdt' | 'feesUsdt' | 'slippageUsdt' | 'fundingUsdt' | 'profitFactor' | 'expectancyR' | 'expectancyUsdt'
>;

export function groupRows(trades: readonly TradeRecord[], keyOf: (t: TradeRecord) => string): GroupRow[] {
  const groups = new Map<string, TradeRecord[]>();
  for (const t of trades) {
    const key = keyOf(t);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [t]);
    else list.push(t);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
    .map(([key, list]) => ({
      key,
      trades: list.length,
      winRate: winRate(list),
      pnlUsdt: netPnlUsdt(list),
      feesUsdt: feesUsdt(list),
      slippageUsdt: slippageUsdt(list),
      fundingUsdt: fundingUsdt(list),
      profitFactor: profitFactor(list),
      expectancyR: expectancyR(list),
      expectancyUsdt: expectancyUsdt(list),
    }));
}

/** What happened to the signals the pipeline saw. */
export interface SignalCounts {
  /** Signals that reached the pipeline (a symbol with a position or a pending entry gets none). */
  readonly proposed: number;
  readonly taken: number;
  /** Of the taken: exploration entries (refused by the model thresholds, taken at 1x anyway). */
  readonly explored: number;
  readonly refused: number;
  /** Refusals by gate (one refused signal can fail several gates). */
  readonly refusedBy: Readonly<Record<string, number>>;
}

export interface BuyAndHold {
  /** Each pair's first open and last close in the period. */
  readonly pairs: readonly {
    readonly symbol: string;
    readonly firstPrice: number;
    readonly lastPrice: number;
    readonly returnPct: number;
  }[];
  readonly returnPct: number | null;
  readonly pnlUsdt: number | null;
  readonly cagrPct: number | null;
  readonly maxDrawdownPct: number;
  readonly sharpe: number | null;
}

/** Equal weight at each pair's first open, held to its last close; daily closes give its drawdown and Sharpe. */
export function buyAndHold(candles: ReadonlyMap<string, readonly Candle[]>, period: MetricsPeriod): BuyAndHold {
  const pairs = [...candles.entries()]
    .map(([symbol, list]) => ({ symbol, first: list[0], last: list.at(-1), list }))
    .filter(
      (p): p is { symbol: string; first: Candle; last: Candle; list: readonly Candle[] } =>
        p.first !== undefined && p.last !== undefined && p.first.open > 0,
    );
  const rate = buyAndHoldReturnRate(pairs.map((p) => ({ firstPrice: p.first.open, lastPrice: p.last.close })));
  // The portfolio's value at each UTC day's last close (equal weight, no rebalancing).
  const lastCloseByDay = new Map<number, Map<string, number>>();
  const recordClose = (day: number, symbol: string, close: number): void => {
    let row = lastCloseByDay.get(day);
    if (row === undefined) lastCloseByDay.set(day, (row = new Map<string, number>()));
    row.set(symbol, close);
  };
  for (const p of pairs) {
    // Candles are in time order: a day's last close is the one before the first candle of a
    // later day (open times are whole milliseconds), found by binary search: a few reads per day, not one per candle.
    const list = p.list;
    let i = 0;
    while (i < list.length) {
      const day = Math.floor(list[i]!.timestamp / DAY_MS);
      const next = firstIndexAfter(list, (day + 1) * DAY_MS - 1);
      recordClose(day, p.symbol, list[next - 1]!.close);
      i = next;
    }
  }
  const lastSeen = new Map<string, number>(pairs.map((p) => [p.symbol, p.first.open]));
  const points: EquityPoint[] = [{ atMs: period.fromMs, equityUsdt: period.startingEquityUsdt }];
  const days: DailyPnl[] = [];
  let previous = period.startingEquityUsdt;
  for (const day of [...lastCloseByDay.keys()].sort((a, b) => a - b)) {
    for (const [symbol, close] of lastCloseByDay.get(day) ?? []) lastSeen.set(symbol, close);
    const value =
      pairs.length === 0
        ? period.startingEquityUsdt
        : (period.startingEquityUsdt / pairs.length) *
          pairs.reduce((s, p) => s + (lastSeen.get(p.symbol) ?? p.first.open) / p.first.open, 0);
    points.push({ atMs: Math.min(period.toMs, (day + 1) * DAY_MS), equityUsdt: value });
    days.push({ dayStartMs: day * DAY_MS, pnlUsdt: value - previous, equityUsdt: value });
    previous = value;
  }
  const cagr =
    rate === null
      ? null
      : cagrRate(period.startingEquityUsdt, period.startingEquityUsdt * (1 + rate), periodLengthDays(period.fromMs, period.toMs));
  return {
    pairs: pairs.map((p) => ({
      symbol: p.symbol,
      firstPrice: p.first.open,
      lastPrice: p.last.close,
      returnPct: (p.last.close / p.first.open - 1) * 100,
    })),
    returnPct: pct(rate),
    pnlUsdt: rate === null ? null : rate * period.startingEquityUsdt,
    cagrPct: pct(cagr),
    maxDrawdownPct: maxDrawdown(points, period.toMs).maxDrawdownRate * 100,
    sharpe: sharpe(dailyReturns(days, period.startingEquityUsdt)),
  };
}

export interface ReportPeriod {
  readonly from: string;
  readonly to: string;
  readonly days: number;
  readonly symbols: readonly string[];
  readonly strategy: StrategyMode;
  readonly candles: number;
  readonly startingEquityUsdt: number;
}

export interface BacktestReport {
  readonly period: ReportPeriod;
  readonly settings: BacktestSettings | null;
  /** Non-exploration trades: the strategy under test. */
  readonly summary: ReportFigures & ReportPeriod;
  readonly exploration: ReportFigures;
  /** Both together (what the account really did). */
  readonly all: ReportFigures;
  readonly perPair: readonly GroupRow[];
  readonly perExitReason: readonly GroupRow[];
  readonly perRule: readonly GroupRow[];
  readonly longShort: readonly GroupRow[];
  readonly leverageDistribution: readonly LeverageBucket[];
  readonly signals: SignalCounts;
  readonly buyAndHold: BuyAndHold;
  /** Data warnings (missing files, gaps) and sample-size warnings of the headline. */
  readonly warnings: readonly string[];
}

export function buildReport(input: {
  readonly trades: readonly TradeRecord[];
  readonly period: ReportPeriod & { readonly fromMs: number; readonly toMs: number };
  readonly settings: BacktestSettings | null;
  readonly signals: SignalCounts;
  readonly candles: ReadonlyMap<string, readonly Candle[]>;
  readonly dataWarnings: readonly string[];
}): BacktestReport {
  const { trades, period: p } = input;
  const metricsPeriod: MetricsPeriod = { fromMs: p.fromMs, toMs: p.toMs, startingEquityUsdt: p.startingEquityUsdt };
  const strategy = trades.filter((t) => !t.exploration);
  const explored = trades.filter((t) => t.exploration);
  const { fromMs: _from, toMs: _to, ...period } = p;
  const summary = { ...reportFigures(strategy, metricsPeriod), ...period };
  return {
    period,
    settings: input.settings,
    summary,
    exploration: reportFigures(explored, metricsPeriod),
    all: reportFigures(trades, metricsPeriod),
    perPair: groupRows(strategy, (t) => t.symbol),
    perExitReason: groupRows(strategy, (t) => t.exitReason),
    perRule: groupRows(strategy, (t) => t.rule),
    longShort: groupRows(strategy, (t) => t.side),
    leverageDistribution: leverageDistribution(trades),
    signals: input.signals,
    buyAndHold: buyAndHold(input.candles, metricsPeriod),
    warnings: [...input.dataWarnings, ...summary.warnings.map((w) => `headline (non-exploration): ${w}`)],
  };
}
