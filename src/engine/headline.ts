/**
 * The headline of every report (the backtest report, the daily report card): the figures they
 * share, from the metric functions of `metrics.ts`. `headlineMetrics` computes just those (and
 * the max drawdown) where `computeMetrics` computes everything: a daily report is made for
 * every day, and for every simulated day of a backtest.
 */
import {
  dailyPnl,
  dailyReturns,
  expectancyR,
  expectancyUsdt,
  feesUsdt,
  fundingUsdt,
  liquidations,
  losses100Pct,
  maxDrawdown,
  netPnlUsdt,
  realisedEquityCurve,
  sharpe,
  winRate,
  type MetricsPeriod,
  type MetricsTrade,
} from './metrics.js';

/** `computeMetrics`' fields that `headlineFigures` maps, and the max drawdown: the same values, nothing else computed. */
export function headlineMetrics(trades: readonly MetricsTrade[], period: MetricsPeriod) {
  return {
    trades: trades.length,
    wins: trades.filter((t) => t.pnlUsdt > 0).length,
    losses: trades.filter((t) => t.pnlUsdt < 0).length,
    winRate: winRate(trades),
    netPnlUsdt: netPnlUsdt(trades),
    feesUsdt: feesUsdt(trades),
    fundingUsdt: fundingUsdt(trades),
    expectancyR: expectancyR(trades),
    expectancyUsdt: expectancyUsdt(trades),
    sharpe: sharpe(dailyReturns(dailyPnl(trades, period), period.startingEquityUsdt)),
    maxDrawdownRate: maxDrawdown(realisedEquityCurve(trades, period), period.toMs).maxDrawdownRate,
    losses100Pct: losses100Pct(trades),
    liquidations: liquidations(trades),
  };
}

/** What `headlineFigures` reads: `headlineMetrics`, or the whole `computeMetrics`. */
export type HeadlineMetrics = ReturnType<typeof headlineMetrics>;

/** The one mapping of the headline metrics to the figures the reports share; each report adds its own. `pnlUsdt` is the net P&L. */
export function headlineFigures(m: Omit<HeadlineMetrics, 'maxDrawdownRate'>) {
  return {
    trades: m.trades,
    wins: m.wins,
    losses: m.losses,
    winRate: m.winRate,
    pnlUsdt: m.netPnlUsdt,
    feesUsdt: m.feesUsdt,
    fundingUsdt: m.fundingUsdt,
    expectancyR: m.expectancyR,
    expectancyUsdt: m.expectancyUsdt,
    sharpe: m.sharpe,
    losses100Pct: m.losses100Pct,
    liquidations: m.liquidations,
  };
}

/** The figures of closed trades that every report shows (backtest report, daily report). */
export type HeadlineFigures = Readonly<ReturnType<typeof headlineFigures>>;
