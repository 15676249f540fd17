/**
 * ModelEvaluator (BLUEPRINT "Model score (0–100) and grades"): a pure function of the
 * closed trades, the realised equity at the window start and the window.
 *
 * The score covers the closed, non-exploration trades of the last `windowDays` UTC days
 * ending at the report's UTC midnight (`windowToMs`). Six dimensions, each a
 * piecewise-linear map from a measured figure to a share of its weight (flat beyond the
 * first and last breakpoints); a figure that is undefined (no trades, no loss…) earns 0,
 * except where noted:
 *
 *   dimension (weight)      figure                                breakpoints (figure → share)
 *   R:R (20)                mean win / |mean loss| (payoff)       0.5→0  1.0→0.4  1.5→0.8  2.0→1   (wins, no loss → 1)
 *   win rate (20)           winners / trades                      0.30→0 0.40→0.4 0.50→0.7 0.60→1
 *   EV (20)                 mean R-multiple (net P&L / 1R)        −0.2→0 0→0.4    0.2→0.8  0.4→1
 *   max drawdown (15)       peak-to-trough fall of equity         0.02→1 0.05→0.8 0.10→0.5 0.20→0.2 0.30→0
 *   Sharpe (15)             annualised daily Sharpe               0→0    1→0.4    2→0.75   3→1
 *   frequency (10)          trades per day of the window          0→0    1→0.5    3→1      24→1  48→0.5  96→0
 *
 * Why these: the planned reward:risk is 1.5 before fees, so a payoff of 1.5 with a 40 %
 * win rate is about break-even (EV 0R → 0.4 of EV's weight) and earns a B-ish total only
 * with a shallow drawdown; more than 48 trades a day is churn that fees eat. Each
 * dimension's points are rounded to 2 decimals; their sum minus 15 per 100 % loss is
 * clamped to 0–100 and rounded half up to an integer before grading
 * (S ≥ 90, A ≥ 80, B ≥ 70, C below). With no trade the score is 0.
 */
import { headlineFigures, headlineMetrics } from './headline.js';
import { DAY_MS, byCloseTime, type MetricsPeriod, type MetricsTrade } from './metrics.js';
import type { Grade } from './ports.js';
import type { DimensionKey, DimensionScore, GradeAction, ModelScore, TradeFigures } from './reports.js';
import type { TradeRecord } from './types.js';

/** A point of a piecewise-linear mapping: at `x` the dimension earns `share` of its weight. */
export interface Breakpoint {
  readonly x: number;
  readonly share: number;
}

export interface DimensionSpec {
  readonly key: DimensionKey;
  readonly label: string;
  readonly weight: number;
  /** Sorted by x ascending. */
  readonly breakpoints: readonly Breakpoint[];
}

const bp = (...pairs: readonly (readonly [number, number])[]): Breakpoint[] => pairs.map(([x, share]) => ({ x, share }));

/** The six dimensions, weights summing to 100 (BLUEPRINT's suggested weights). */
export const SCORE_DIMENSIONS: readonly DimensionSpec[] = [
  { key: 'rr', label: 'R:R (avg win / avg loss)', weight: 20, breakpoints: bp([0.5, 0], [1.0, 0.4], [1.5, 0.8], [2.0, 1]) },
  { key: 'win_rate', label: 'Win rate', weight: 20, breakpoints: bp([0.3, 0], [0.4, 0.4], [0.5, 0.7], [0.6, 1]) },
  { key: 'ev', label: 'EV (R per trade)', weight: 20, breakpoints: bp([-0.2, 0], [0, 0.4], [0.2, 0.8], [0.4, 1]) },
  { key: 'max_drawdown', label: 'Max drawdown', weight: 15, breakpoints: bp([0.02, 1], [0.05, 0.8], [0.1, 0.5], [0.2, 0.2], [0.3, 0]) },
  { key: 'sharpe', label: 'Sharpe (daily, annualised)', weight: 15, breakpoints: bp([0, 0], [1, 0.4], [2, 0.75], [3, 1]) },
  { key: 'frequency', label: 'Trades per day', weight: 10, breakpoints: bp([0, 0], [1, 0.5], [3, 1], [24, 1], [48, 0.5], [96, 0]) },
];

/** Points lost per 100 % loss in the window. */
export const LOSS_100PCT_PENALTY = 15;

/** Linear interpolation between breakpoints, flat outside them. */
export function interpolate(breakpoints: readonly Breakpoint[], x: number): number {
  const first = breakpoints[0];
  const last = breakpoints[breakpoints.length - 1];
  if (first === undefined || last === undefined) throw new Error('a mapping needs at least one breakpoint');
  if (x <= first.x) return first.share;
  if (x >= last.x) return last.share;
  for (let i = 1; i < breakpoints.length; i++) {
    const right = breakpoints[i]!;
    const left = breakpoints[i - 1]!;
    if (x <= right.x) return left.share + ((right.share - left.share) * (x - left.x)) / (right.x - left.x);
  }
  return last.share;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

export function gradeOf(score: number): Grade {
  if (score >= 90) return 'S';
  if (score >= 80) return 'A';
  if (score >= 70) return 'B';
  return 'C';
}

export function actionOf(grade: Grade): GradeAction {
  switch (grade) {
    case 'S':
      return 'size_multiplier';
    case 'A':
      return 'maintain';
    case 'B':
      return 'observe';
    case 'C':
      return 'rules_mode';
  }
}

/**
 * Average R:R of the report: mean winning P&L / |mean losing P&L| (the payoff ratio);
 * null without a winner and a loser. Not in metrics.ts (the backtest shows profit factor).
 */
export function payoffRatio(trades: readonly MetricsTrade[]): number | null {
  const wins = trades.filter((t) => t.pnlUsdt > 0);
  const losses = trades.filter((t) => t.pnlUsdt < 0);
  if (wins.length === 0 || losses.length === 0) return null;
  const meanWin = wins.reduce((s, t) => s + t.pnlUsdt, 0) / wins.length;
  const meanLoss = -losses.reduce((s, t) => s + t.pnlUsdt, 0) / losses.length;
  return meanWin / meanLoss;
}

/** The report's figures of some closed trades over a period (all from metrics.ts, plus the payoff ratio). */
export function tradeFigures(trades: readonly ScoredTrade[], period: MetricsPeriod): TradeFigures {
  const m = headlineMetrics(trades, period);
  // Added onto the fresh headline object, not after a spread (slow on Node 20; a report runs this every simulated day).
  return Object.assign(headlineFigures(m), {
    // Net = price − fees + funding, so price = net + fees − funding.
    grossPnlUsdt: m.netPnlUsdt + m.feesUsdt - m.fundingUsdt,
    averageRr: payoffRatio(trades),
    maxDrawdownRate: m.maxDrawdownRate,
  });
}

/** What the score reads of a trade (a TradeRecord, or a shadow trade of the model). */
export type ScoredTrade = MetricsTrade & Pick<TradeRecord, 'exploration'>;

export interface ScoreInput {
  /** Closed trades; those outside the window and exploration trades are left out here. */
  readonly trades: readonly ScoredTrade[];
  /** The report's UTC midnight: the window is [windowToMs − windowDays, windowToMs). */
  readonly windowToMs: number;
  readonly windowDays: number;
  readonly minTrades: number;
  /** Realised equity at the window start (MDD and Sharpe are relative to it). */
  readonly startingEquityUsdt: number;
}

/** The scored trades: closed in the window, not exploration, in close order. */
export function scoredTrades<T extends ScoredTrade>(trades: readonly T[], windowFromMs: number, windowToMs: number): T[] {
  return byCloseTime(trades.filter((t) => !t.exploration && t.closedAt >= windowFromMs && t.closedAt < windowToMs));
}

/** The 0–100 score, its dimensions and its grade (see the module comment for the mappings). */
export function scoreModel(input: ScoreInput): ModelScore {
  return scoreWithFigures(input).score;
}

/** `scoreModel`, with the window's figures it scored (the daily report shows them as its window figures). */
export function scoreWithFigures(input: ScoreInput): { readonly score: ModelScore; readonly figures: TradeFigures } {
  if (!Number.isInteger(input.windowDays) || input.windowDays < 1)
    throw new RangeError(`windowDays must be a whole number ≥ 1, got ${input.windowDays}`);
  const windowFromMs = input.windowToMs - input.windowDays * DAY_MS;
  const trades = scoredTrades(input.trades, windowFromMs, input.windowToMs);
  const figures = tradeFigures(trades, { fromMs: windowFromMs, toMs: input.windowToMs, startingEquityUsdt: input.startingEquityUsdt });
  const hasTrades = trades.length > 0;
  const measured: Record<DimensionKey, { value: number | null; share: number | null }> = {
    // Winners and no loser: the best payoff there is.
    rr: { value: figures.averageRr, share: figures.averageRr === null && figures.wins > 0 && figures.losses === 0 ? 1 : null },
    win_rate: { value: figures.winRate, share: null },
    ev: { value: figures.expectancyR, share: null },
    max_drawdown: { value: hasTrades ? figures.maxDrawdownRate : null, share: null },
    sharpe: { value: figures.sharpe, share: null },
    frequency: { value: trades.length / input.windowDays, share: null },
  };
  const dimensions: DimensionScore[] = SCORE_DIMENSIONS.map((spec) => {
    const { value, share } = measured[spec.key];
    const earned = share ?? (value === null ? 0 : interpolate(spec.breakpoints, value));
    return { key: spec.key, label: spec.label, value, points: round2(earned * spec.weight), maxPoints: spec.weight };
  });
  const rawPoints = round2(dimensions.reduce((s, d) => s + d.points, 0));
  const penaltyPoints = LOSS_100PCT_PENALTY * figures.losses100Pct;
  const score = Math.round(Math.min(100, Math.max(0, rawPoints - penaltyPoints)));
  const grade = gradeOf(score);
  return {
    score: {
      score,
      rawPoints,
      penaltyPoints,
      dimensions,
      grade,
      action: actionOf(grade),
      trades: trades.length,
      minTrades: input.minTrades,
      enoughTrades: trades.length >= input.minTrades,
      windowDays: input.windowDays,
      windowFromMs,
      windowToMs: input.windowToMs,
    },
    figures,
  };
}

// ── Shadow score and the automatic resume (issue 14 §7) ─────────────────────────────────────

/**
 * A shadow prediction (made while grade C held the engine in pure rules mode) with its
 * signal's counterfactual outcome: what the model would have done, had it traded.
 */
export interface ShadowOutcome {
  readonly id: string;
  readonly symbol: string;
  readonly side: TradeRecord['side'];
  readonly decidedAt: number;
  /** When the outcome became known (TP or SL touched, or the time stop): the shadow trade's close. */
  readonly resolvedAt: number;
  readonly winProbability: number;
  /** The stop distance as a fraction of the entry price (the pipeline's at 1x). */
  readonly slRate: number;
  /** Outcome in R before costs: +TP/SL at the take-profit, −1 at the stop, marked at the time stop. */
  readonly outcomeR: number;
}

/** The model's entry gate as the shadow applies it (MIN_WIN_PROBABILITY, MIN_EXPECTED_R, costs). */
export interface ShadowGate {
  readonly minWinProbability: number;
  readonly minExpectedR: number;
  /** Round-trip taker fees plus the stop's slippage, as a fraction of price (2 × taker + slippage). */
  readonly costRate: number;
  /** Planned TP distance over SL distance (1.5). */
  readonly rewardRisk: number;
}

/** Risk of one shadow trade: 1 % of the equity at the window start (sets its drawdown and Sharpe). */
export const SHADOW_RISK_RATE = 0.01;

/**
 * The shadow trade list: the shadow predictions the model's own gate would have taken
 * (p ≥ MIN_WIN_PROBABILITY and expected R after costs > MIN_EXPECTED_R), each closed when its
 * outcome became known, worth its outcome R minus the costs in R, at a fixed risk.
 */
export function shadowTrades(outcomes: readonly ShadowOutcome[], gate: ShadowGate, riskUsdt: number): ScoredTrade[] {
  const trades: ScoredTrade[] = [];
  for (const o of outcomes) {
    const costsInR = o.slRate > 0 ? gate.costRate / o.slRate : Number.POSITIVE_INFINITY;
    const expectedR = o.winProbability * gate.rewardRisk - (1 - o.winProbability) - costsInR;
    if (!(o.winProbability >= gate.minWinProbability && expectedR > gate.minExpectedR)) continue;
    trades.push({
      id: `shadow:${o.id}`,
      symbol: o.symbol,
      side: o.side,
      openedAt: o.decidedAt,
      closedAt: o.resolvedAt,
      leverage: 1,
      plannedRiskUsdt: riskUsdt,
      feesUsdt: 0, // the costs are in the R
      fundingUsdt: 0,
      pnlUsdt: (o.outcomeR - costsInR) * riskUsdt,
      is100PctLoss: false,
      liquidated: false,
      exploration: false,
    });
  }
  return trades;
}

export interface ShadowScoreInput {
  readonly outcomes: readonly ShadowOutcome[];
  readonly gate: ShadowGate;
  readonly windowToMs: number;
  readonly windowDays: number;
  readonly minTrades: number;
  readonly startingEquityUsdt: number;
}

/** The shadow score: the same 0–100 score as the real one, of the shadow trade list over the same window. */
export function shadowScore(input: ShadowScoreInput): ModelScore {
  const riskUsdt = Math.max(0, input.startingEquityUsdt) * SHADOW_RISK_RATE;
  return scoreModel({
    trades: shadowTrades(input.outcomes, input.gate, riskUsdt),
    windowToMs: input.windowToMs,
    windowDays: input.windowDays,
    minTrades: input.minTrades,
    startingEquityUsdt: input.startingEquityUsdt,
  });
}

/**
 * Whether self-learning resumes after a full daily report: the engine is (still) held in pure
 * rules mode by grade C, and the shadow score, on enough shadow trades, reaches
 * SELF_LEARNING_RESUME_SCORE.
 */
export function shouldResume(gradeAfter: Grade | null, shadow: ModelScore | null, resumeScore: number): boolean {
  return gradeAfter === 'C' && shadow !== null && shadow.enoughTrades && shadow.score >= resumeScore;
}
