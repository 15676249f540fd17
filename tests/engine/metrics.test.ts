import { describe, expect, it } from 'vitest';
import { headlineFigures, headlineMetrics } from '../../src/engine/headline.js';
import {
  DAY_MS,
  averageDurationMs,
  bestDay,
  bestTrade,
  buyAndHoldReturnRate,
  cagrRate,
  calmar,
  computeMetrics,
  dailyPnl,
  dailyReturns,
  expectancyR,
  expectancyUsdt,
  exposureRate,
  feesUsdt,
  fundingUsdt,
  leverageDistribution,
  liquidations,
  longestLosingStreak,
  losses100Pct,
  maxDrawdown,
  netPnlUsdt,
  periodDayCount,
  profitFactor,
  realisedEquityCurve,
  sampleWarnings,
  sharpe,
  slippageUsdt,
  sortino,
  winRate,
  worstDay,
  worstTrade,
  type MetricsTrade,
} from '../../src/engine/metrics.js';

const HOUR = 3_600_000;
const D0 = Date.parse('2025-01-01T00:00:00Z');
const at = (day: number, hour: number): number => D0 + day * DAY_MS + hour * HOUR;

function trade(t: Partial<MetricsTrade> & Pick<MetricsTrade, 'id' | 'openedAt' | 'closedAt' | 'pnlUsdt'>): MetricsTrade {
  return {
    symbol: 'BTCUSDT',
    side: 'long',
    leverage: 1,
    plannedRiskUsdt: 10,
    feesUsdt: 0,
    fundingUsdt: 0,
    slippageUsdt: 0,
    is100PctLoss: false,
    liquidated: false,
    ...t,
  };
}

/*
 * The fixed set. Period 2025-01-01 00:00 → 2025-01-05 00:00 UTC (ends exactly at midnight:
 * 4 days, D0..D3), starting equity 1000 USDT.
 *
 *  id  symbol   side   open       close      dur  lev  1R   fees slip funding  pnl    flags
 *  T1  BTCUSDT  long   D0 01:00   D0 03:00    2h   3   10   1    0.5   0       +20
 *  T2  ETHUSDT  short  D0 02:00   D1 02:00   24h   2   20   2    1    -0.5     -10
 *  T3  BTCUSDT  long   D1 12:00   D1 18:00    6h   3   10   1    0    +0.25     -5
 *  T4  ETHUSDT  long   D2 00:00   D2 06:00    6h   1   25   0.5  0.5   0       -50    100 % loss, liquidated
 *  T5  BTCUSDT  short  D3 20:00   D4 00:00    4h   5   10   1    0.5   0       +40    (closes exactly at the period end)
 */
const T = [
  trade({
    id: 'T1',
    openedAt: at(0, 1),
    closedAt: at(0, 3),
    leverage: 3,
    plannedRiskUsdt: 10,
    feesUsdt: 1,
    slippageUsdt: 0.5,
    pnlUsdt: 20,
  }),
  trade({
    id: 'T2',
    symbol: 'ETHUSDT',
    side: 'short',
    openedAt: at(0, 2),
    closedAt: at(1, 2),
    leverage: 2,
    plannedRiskUsdt: 20,
    feesUsdt: 2,
    slippageUsdt: 1,
    fundingUsdt: -0.5,
    pnlUsdt: -10,
  }),
  trade({
    id: 'T3',
    openedAt: at(1, 12),
    closedAt: at(1, 18),
    leverage: 3,
    plannedRiskUsdt: 10,
    feesUsdt: 1,
    fundingUsdt: 0.25,
    pnlUsdt: -5,
  }),
  trade({
    id: 'T4',
    symbol: 'ETHUSDT',
    openedAt: at(2, 0),
    closedAt: at(2, 6),
    leverage: 1,
    plannedRiskUsdt: 25,
    feesUsdt: 0.5,
    slippageUsdt: 0.5,
    pnlUsdt: -50,
    is100PctLoss: true,
    liquidated: true,
  }),
  trade({
    id: 'T5',
    side: 'short',
    openedAt: at(3, 20),
    closedAt: at(4, 0),
    leverage: 5,
    plannedRiskUsdt: 10,
    feesUsdt: 1,
    slippageUsdt: 0.5,
    pnlUsdt: 40,
  }),
];
const period = { fromMs: D0, toMs: at(4, 0), startingEquityUsdt: 1000 };
// Shuffled input: every metric must sort by close time itself.
const shuffled = [T[3]!, T[0]!, T[4]!, T[2]!, T[1]!];

describe('per-trade metrics on the fixed set', () => {
  it('win rate: 2 winners (T1, T5) of 5 = 0.4', () => {
    expect(winRate(T)).toBe(0.4);
    expect(winRate([])).toBeNull();
  });

  it('sums: P&L 20−10−5−50+40 = −5; fees 1+2+1+0.5+1 = 5.5; slippage 0.5+1+0+0.5+0.5 = 2.5; funding −0.5+0.25 = −0.25', () => {
    expect(netPnlUsdt(T)).toBe(-5);
    expect(feesUsdt(T)).toBe(5.5);
    expect(slippageUsdt(T)).toBe(2.5);
    expect(fundingUsdt(T)).toBe(-0.25);
  });

  it('slippage of a record written before the field existed counts as 0', () => {
    const { slippageUsdt: _dropped, ...old } = T[0]!;
    expect(slippageUsdt([old, T[1]!])).toBe(1);
  });

  it('profit factor: gross profit 20+40 = 60 over gross loss 10+5+50 = 65 = 0.923…; null when nothing lost', () => {
    expect(profitFactor(T)).toBeCloseTo(60 / 65, 12);
    expect(profitFactor([T[0]!, T[4]!])).toBeNull();
  });

  it('expectancy: −5 / 5 = −1 USDT; in R (20/10 − 10/20 − 5/10 − 50/25 + 40/10) / 5 = (2 − 0.5 − 0.5 − 2 + 4) / 5 = 0.6', () => {
    expect(expectancyUsdt(T)).toBe(-1);
    expect(expectancyR(T)).toBeCloseTo(0.6, 12);
    expect(expectancyUsdt([])).toBeNull();
    // A trade without planned risk has no R: left out of the mean, not counted as 0.
    expect(expectancyR([T[0]!, { ...T[1]!, plannedRiskUsdt: 0 }])).toBe(2);
    expect(expectancyR([{ ...T[1]!, plannedRiskUsdt: 0 }])).toBeNull();
  });

  it('average duration: (2 + 24 + 6 + 6 + 4) h / 5 = 8.4 h', () => {
    expect(averageDurationMs(T)).toBe(8.4 * HOUR);
    expect(averageDurationMs([])).toBeNull();
  });

  it('best trade T5 (+40), worst T4 (−50)', () => {
    expect(bestTrade(shuffled)?.id).toBe('T5');
    expect(worstTrade(shuffled)?.id).toBe('T4');
    expect(bestTrade([])).toBeNull();
  });

  it('longest losing streak in close order: T1 + | T2 − T3 − T4 − | T5 + = 3, whatever the input order', () => {
    expect(longestLosingStreak(shuffled)).toBe(3);
    expect(longestLosingStreak([T[0]!])).toBe(0);
    // A trade at exactly 0 ends a streak.
    expect(longestLosingStreak([T[1]!, { ...T[2]!, pnlUsdt: 0 }, T[3]!])).toBe(1);
  });

  it('counts 100 % losses and liquidations from the records (T4 is both)', () => {
    expect(losses100Pct(T)).toBe(1);
    expect(liquidations(T)).toBe(1);
    expect(losses100Pct([{ ...T[3]!, liquidated: false }])).toBe(1);
    expect(liquidations([{ ...T[3]!, is100PctLoss: false }])).toBe(1);
  });

  it('leverage distribution: 1x 1, 2x 1, 3x 2, 5x 1', () => {
    expect(leverageDistribution(shuffled)).toEqual([
      { leverage: 1, trades: 1 },
      { leverage: 2, trades: 1 },
      { leverage: 3, trades: 2 },
      { leverage: 5, trades: 1 },
    ]);
  });

  it('exposure: union of open intervals D0 01→D1 02 (25 h, T1 and T2 overlap) + 6 + 6 + 4 = 41 h of 96 h', () => {
    expect(exposureRate(T, period.fromMs, period.toMs)).toBeCloseTo(41 / 96, 12);
    expect(exposureRate(T, period.toMs, period.fromMs)).toBe(0);
  });
});

describe('daily series, Sharpe and Sortino', () => {
  it('a period ending exactly at midnight has 4 days, not 5', () => {
    expect(periodDayCount(D0, at(4, 0))).toBe(4);
    expect(periodDayCount(D0, at(3, 12))).toBe(4);
    expect(periodDayCount(D0, at(4, 0) + 1)).toBe(5);
    expect(periodDayCount(at(0, 23), at(1, 1))).toBe(2);
    expect(periodDayCount(D0, D0)).toBe(0);
  });

  it('daily P&L D0 +20, D1 −10−5 = −15, D2 −50, D3 +40 (T5 closed at the period end counts on the last day)', () => {
    const days = dailyPnl(shuffled, period);
    expect(days.map((d) => d.pnlUsdt)).toEqual([20, -15, -50, 40]);
    expect(days.map((d) => d.equityUsdt)).toEqual([1020, 1005, 955, 995]);
    expect(days.map((d) => d.dayStartMs)).toEqual([at(0, 0), at(1, 0), at(2, 0), at(3, 0)]);
    expect(bestDay(days)?.dayStartMs).toBe(at(3, 0));
    expect(worstDay(days)?.dayStartMs).toBe(at(2, 0));
  });

  /*
   * Returns on the equity at the start of each day:
   *   r = [20/1000, −15/1020, −50/1005, 40/955] = [0.02, −0.0147058824, −0.0497512438, 0.0418848168]
   *   mean = −0.00064307734503
   *   sample std = √(Σ(r − mean)² / 3) = 0.04018346639
   *   Sharpe = mean / std × √365 = −0.30574702803
   *   downside deviation = √((0.0147058824² + 0.0497512438²) / 4) = 0.02593958960
   *   Sortino = mean / downside × √365 = −0.47363800343
   */
  it('Sharpe and Sortino of the 4 daily returns, annualised ×√365', () => {
    const returns = dailyReturns(dailyPnl(T, period), 1000);
    expect(returns[0]).toBe(0.02);
    expect(returns[1]).toBeCloseTo(-15 / 1020, 15);
    expect(returns[2]).toBeCloseTo(-50 / 1005, 15);
    expect(returns[3]).toBeCloseTo(40 / 955, 15);
    expect(sharpe(returns)).toBeCloseTo(-0.30574702803, 9);
    expect(sortino(returns)).toBeCloseTo(-0.47363800343, 9);
  });

  it('Sharpe and Sortino are null when undefined: one day, no variance, no losing day', () => {
    expect(sharpe([0.01])).toBeNull();
    expect(sharpe([0.01, 0.01])).toBeNull();
    expect(sortino([0.01, 0.02])).toBeNull();
    // 0.01 and 0.03: mean 0.02, std √((0.01² + 0.01²)/1) = 0.0141421356 → 0.02/0.0141421356 × √365 = 27.0185
    expect(sharpe([0.01, 0.03])).toBeCloseTo(Math.SQRT2 * Math.sqrt(365), 9);
  });

  it('CAGR: 995/1000 over 4 days → 0.995^(365/4) − 1 = −0.36706936; Calmar = that / 0.0637254902 = −5.76016539', () => {
    const cagr = cagrRate(1000, 995, 4);
    expect(cagr).toBeCloseTo(-0.3670693632, 9);
    expect(calmar(cagr, 65 / 1020)).toBeCloseTo(-5.7601653922, 8);
    expect(cagrRate(1000, 1100, 365)).toBeCloseTo(0.1, 12);
    expect(cagrRate(1000, 0, 10)).toBe(-1);
    expect(cagrRate(1000, 1100, 0)).toBeNull();
    expect(calmar(0.1, 0)).toBeNull();
    expect(calmar(null, 0.1)).toBeNull();
  });
});

describe('drawdown', () => {
  /*
   * Realised equity: 1000 (D0 00:00), 1020 (D0 03:00, peak), 1010, 1005, 955 (D2 06:00, trough), 995 (D4 00:00).
   * Max drawdown = (1020 − 955) / 1020 = 0.0637254902; never recovered, so it lasts from the peak
   * to the period end: 96 h − 3 h = 93 h = 3.875 days.
   */
  it('max drawdown of the fixed set and its duration up to the period end', () => {
    const dd = maxDrawdown(realisedEquityCurve(shuffled, period), period.toMs);
    expect(dd.maxDrawdownRate).toBeCloseTo(65 / 1020, 12);
    expect(dd.peakAtMs).toBe(at(0, 3));
    expect(dd.troughAtMs).toBe(at(2, 6));
    expect(dd.recoveredAtMs).toBeNull();
    expect(dd.maxDrawdownDays).toBe(3.875);
  });

  /*
   * Curve 100 (D0) → 120 (D1, peak) → 90 (D2, −25 %) → 120 (D4, recovered) → 110 (D5, −8.3 %) → end D10.
   * The max drawdown (25 %) runs from D1 to D4: 3 days; the later, smaller one does not replace it.
   */
  it('a recovered drawdown lasts from its peak until equity is back at it', () => {
    const points = [
      { atMs: at(0, 0), equityUsdt: 100 },
      { atMs: at(1, 0), equityUsdt: 120 },
      { atMs: at(2, 0), equityUsdt: 90 },
      { atMs: at(4, 0), equityUsdt: 120 },
      { atMs: at(5, 0), equityUsdt: 110 },
    ];
    const dd = maxDrawdown(points, at(10, 0));
    expect(dd.maxDrawdownRate).toBe(0.25);
    expect(dd.recoveredAtMs).toBe(at(4, 0));
    expect(dd.maxDrawdownDays).toBe(3);
  });

  it('no drawdown on a rising curve', () => {
    const dd = maxDrawdown(
      [
        { atMs: 0, equityUsdt: 1 },
        { atMs: 1, equityUsdt: 2 },
      ],
      10,
    );
    expect(dd).toEqual({ maxDrawdownRate: 0, maxDrawdownDays: 0, peakAtMs: null, troughAtMs: null, recoveredAtMs: null });
  });
});

describe('buy-and-hold and sample warnings', () => {
  it('equal-weight buy-and-hold: BTC 100→110 (+10 %) and ETH 50→45 (−10 %) and SOL 10→13 (+30 %) → +10 %', () => {
    expect(
      buyAndHoldReturnRate([
        { firstPrice: 100, lastPrice: 110 },
        { firstPrice: 50, lastPrice: 45 },
        { firstPrice: 10, lastPrice: 13 },
      ]),
    ).toBeCloseTo(0.1, 12);
    expect(buyAndHoldReturnRate([])).toBeNull();
  });

  it('warns on a short sample instead of annualising silently', () => {
    const warnings = sampleWarnings({ days: 4, trades: 5 });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/only 4 days .*annualised from a short sample/);
    expect(warnings[1]).toMatch(/only 5 trades/);
    expect(sampleWarnings({ days: 1, trades: 40 })[0]).toMatch(/only 1 day: Sharpe and Sortino .* not given/);
    expect(sampleWarnings({ days: 30, trades: 30 })).toEqual([]);
    expect(sampleWarnings({ days: 10, trades: 10 }, { minDays: 7, minTrades: 10 })).toEqual([]);
  });
});

describe('computeMetrics', () => {
  it('gathers the same figures as the single functions', () => {
    const m = computeMetrics(shuffled, period);
    expect(m).toMatchObject({
      trades: 5,
      wins: 2,
      losses: 3,
      winRate: 0.4,
      netPnlUsdt: -5,
      feesUsdt: 5.5,
      slippageUsdt: 2.5,
      fundingUsdt: -0.25,
      expectancyUsdt: -1,
      startingEquityUsdt: 1000,
      endingEquityUsdt: 995,
      returnRate: -0.005,
      days: 4,
      maxDrawdownDays: 3.875,
      averageDurationMs: 8.4 * HOUR,
      bestTrade: { id: 'T5', symbol: 'BTCUSDT', pnlUsdt: 40 },
      worstTrade: { id: 'T4', symbol: 'ETHUSDT', pnlUsdt: -50 },
      bestDay: { day: '2025-01-04', pnlUsdt: 40 },
      worstDay: { day: '2025-01-03', pnlUsdt: -50 },
      longestLosingStreak: 3,
      losses100Pct: 1,
      liquidations: 1,
    });
    expect(m.profitFactor).toBeCloseTo(60 / 65, 12);
    expect(m.expectancyR).toBeCloseTo(0.6, 12);
    expect(m.sharpe).toBeCloseTo(-0.30574702803, 9);
    expect(m.sortino).toBeCloseTo(-0.47363800343, 9);
    expect(m.cagrRate).toBeCloseTo(-0.3670693632, 9);
    expect(m.calmar).toBeCloseTo(-5.7601653922, 8);
    expect(m.maxDrawdownRate).toBeCloseTo(65 / 1020, 12);
    expect(m.exposureRate).toBeCloseTo(41 / 96, 12);
    expect(m.warnings).toHaveLength(2);
  });

  it('headlineMetrics gives exactly the same values as computeMetrics for the fields it computes', () => {
    for (const trades of [shuffled, shuffled.slice(0, 2), []]) {
      const headline = headlineMetrics(trades, period);
      const full = computeMetrics(trades, period);
      for (const [key, value] of Object.entries(headline)) expect(Object.is(value, full[key as keyof typeof full]), key).toBe(true);
      expect(headlineFigures(headline)).toEqual(headlineFigures(full));
    }
  });

  it('an empty sample gives nulls where a figure is undefined, not zeros', () => {
    const m = computeMetrics([], period);
    expect(m).toMatchObject({
      trades: 0,
      winRate: null,
      profitFactor: null,
      expectancyR: null,
      expectancyUsdt: null,
      sharpe: null,
      sortino: null,
      calmar: null,
      bestTrade: null,
      maxDrawdownRate: 0,
    });
    expect(m.cagrRate).toBe(0);
  });
});
