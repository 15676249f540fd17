/**
 * The daily report card as data (BLUEPRINT "Daily report"): a pure function of the closed
 * trades, the equity reading, the engine's grade before the report, and what happened in
 * the day (mode changes, alerts). No clock, no I/O: `service.ts` gathers the inputs.
 *
 * Equity: the realised equity curve is anchored on an equity reading (the wallet balance
 * now, when known) minus the net P&L of every trade closed since the window start, so the
 * curve ends where the account is. Without a reading, the configured starting balance is
 * taken as the equity at the window start (`equitySource: 'assumed'`).
 */
import type { AlertCondition } from '../engine/alerts.js';
import { actionOf, scoreWithFigures, tradeFigures } from '../engine/evaluator.js';
import { DAY_MS, byCloseTime, dailyPnl, leverageDistribution, realisedEquityCurve } from '../engine/metrics.js';
import type { Grade } from '../engine/ports.js';
import type { DailyReport, ModeChange, ModelInfo, ModelScore, ReportedAlert, TradeFigures } from '../engine/reports.js';
import type { TradeRecord } from '../engine/types.js';
import { utcDayOf, utcDayStart } from '../engine/utc-day.js';


/** What the engine does about a report's grade; kept with the stored report so a re-run keeps it. */
export interface GradeDecision {
  readonly gradeBefore: Grade | null;
  readonly gradeAfter: Grade | null;
  readonly actionTaken: string;
  /** Alerts the report raises (score below 70, grade change). */
  readonly alerts: readonly AlertCondition[];
}

/**
 * The grade the engine takes from a report, and the alerts: with enough trades the score's
 * grade replaces the engine's (grade C is pure rules mode; the Trader reads the grade),
 * with one alert: "score below 70" when it is C (it says the mode switched), else a
 * "grade change" when the grade moved. With too few trades the grade is kept and nothing fires.
 */
export function decideGrade(score: ModelScore, day: string, gradeBefore: Grade | null, sizeMultiplier: number): GradeDecision {
  if (!score.enoughTrades)
    return {
      gradeBefore,
      gradeAfter: gradeBefore,
      actionTaken: `none: not enough trades (${score.trades} < ${score.minTrades}); grade kept at ${gradeBefore ?? '—'}`,
      alerts: [],
    };
  const grade = score.grade;
  const alerts: AlertCondition[] = [];
  if (grade === 'C') alerts.push({ kind: 'score_below_70', day, score: score.score, switchedToRules: gradeBefore !== 'C' });
  else if (grade !== gradeBefore) alerts.push({ kind: 'grade_change', day, from: gradeBefore, to: grade });
  const actionTaken = ((): string => {
    switch (actionOf(grade)) {
      case 'size_multiplier':
        return `grade S: position size × ${sizeMultiplier}`;
      case 'maintain':
        return 'grade A: maintain';
      case 'observe':
        return 'grade B: observe (flagged)';
      case 'rules_mode':
        return gradeBefore === 'C' ? 'grade C: stays in pure rules mode' : 'grade C: switched to pure rules mode';
    }
  })();
  return { gradeBefore, gradeAfter: grade, actionTaken, alerts };
}

export interface ReportInput {
  /** The UTC day covered, 'YYYY-MM-DD'. */
  readonly day: string;
  readonly generatedAt: number;
  /** true for "today so far": the day has not ended, nothing is decided. */
  readonly partial: boolean;
  /** Closed trades from the window start (or earlier) up to the equity reading. */
  readonly trades: readonly TradeRecord[];
  readonly equity: { readonly usdt: number; readonly atMs: number; readonly source: DailyReport['equitySource'] };
  readonly windowDays: number;
  readonly minTrades: number;
  readonly gradeSSizeMultiplier: number;
  /** The engine's grade now; or the decision already taken for this day (a re-run keeps it). */
  readonly grade: { readonly before: Grade | null } | { readonly decided: GradeDecision };
  readonly modeChanges: readonly ModeChange[];
  readonly model: ModelInfo;
  /** Alerts sent during the day. */
  readonly alertsFired: readonly ReportedAlert[];
  /** Renders an alert condition's title (the alert module's wording). */
  readonly describeAlert: (condition: AlertCondition, atMs: number) => ReportedAlert;
}

export interface BuiltReport {
  readonly report: DailyReport;
  readonly decision: GradeDecision;
}

/** What grading a day needs of the report's inputs. */
export type GradeInput = Pick<ReportInput, 'day' | 'partial' | 'trades' | 'equity' | 'windowDays' | 'minTrades' | 'gradeSSizeMultiplier' | 'grade'>;

/** A day's grade without the report around it (the backtest grades every simulated day, and shows no report). */
export interface DayGrade {
  /** The score as computed (the report shows it rounded). */
  readonly score: ModelScore;
  readonly windowFigures: TradeFigures;
  readonly decision: GradeDecision;
  /** Realised equity at the window start (the report's equity curve starts there). */
  readonly startingEquityUsdt: number;
}

/** The score of the report's window and the grade decision: the part of `buildDailyReport` that acts on the engine. */
export function gradeDay(input: GradeInput): DayGrade {
  const dayStart = utcDayStart(input.day);
  if (Number.isNaN(dayStart)) throw new RangeError(`not a UTC day: "${input.day}"`);
  const dayEnd = dayStart + DAY_MS;
  const windowFrom = dayEnd - input.windowDays * DAY_MS;
  // Equity at the window start: the reading minus every trade closed since (exploration included: it is money).
  const closedSince = input.trades.filter((t) => t.closedAt >= windowFrom && t.closedAt <= input.equity.atMs);
  const startingEquityUsdt =
    input.equity.source === 'assumed' ? input.equity.usdt : input.equity.usdt - closedSince.reduce((s, t) => s + t.pnlUsdt, 0);
  // The window's figures are the ones the score is computed from (same trades, same period).
  const { score, figures: windowFigures } = scoreWithFigures({
    trades: input.trades,
    windowToMs: dayEnd,
    windowDays: input.windowDays,
    minTrades: input.minTrades,
    startingEquityUsdt,
  });
  const decision: GradeDecision =
    'decided' in input.grade
      ? input.grade.decided
      : input.partial
        ? { gradeBefore: input.grade.before, gradeAfter: input.grade.before, actionTaken: 'none: the day is not over', alerts: [] }
        : decideGrade(score, input.day, input.grade.before, input.gradeSSizeMultiplier);
  return { score, windowFigures, decision, startingEquityUsdt };
}

export function buildDailyReport(input: ReportInput): BuiltReport {
  const { score, windowFigures, decision, startingEquityUsdt } = gradeDay(input);
  const dayStart = utcDayStart(input.day);
  const dayEnd = dayStart + DAY_MS;
  const windowFrom = dayEnd - input.windowDays * DAY_MS;
  const windowAll = byCloseTime(input.trades.filter((t) => t.closedAt >= windowFrom && t.closedAt < dayEnd));
  const dayAll = windowAll.filter((t) => t.closedAt >= dayStart);
  const dayScored = dayAll.filter((t) => !t.exploration);
  const exploration = dayAll.filter((t) => t.exploration);
  // Equity at the day start: the window start plus everything closed in the window before it.
  const dayStartEquity = startingEquityUsdt + windowAll.filter((t) => t.closedAt < dayStart).reduce((s, t) => s + t.pnlUsdt, 0);

  const windowPeriod = { fromMs: windowFrom, toMs: dayEnd, startingEquityUsdt };
  const report: DailyReport = {
    schema: 1,
    day: input.day,
    generatedAt: input.generatedAt,
    partial: input.partial,
    score,
    gradeBefore: decision.gradeBefore,
    gradeAfter: decision.gradeAfter,
    actionTaken: decision.actionTaken,
    pnlUsdt: dayPnlUsdt(input.trades, input.day),
    dayFigures: tradeFigures(dayScored, { fromMs: dayStart, toMs: dayEnd, startingEquityUsdt: dayStartEquity }),
    windowFigures,
    exploration: {
      trades: exploration.length,
      wins: exploration.filter((t) => t.pnlUsdt > 0).length,
      pnlUsdt: exploration.reduce((s, t) => s + t.pnlUsdt, 0),
    },
    leverageDistribution: leverageDistribution(dayAll),
    modeChanges: input.modeChanges.filter((c) => c.at >= dayStart && c.at < dayEnd),
    model: input.model,
    alerts: [...input.alertsFired, ...decision.alerts.map((a) => input.describeAlert(a, input.generatedAt))],
    // The account's realised equity: every closed trade, exploration included.
    equityCurve: realisedEquityCurve(windowAll, windowPeriod).map((p) => ({ at: p.atMs, equityUsdt: p.equityUsdt })),
    equitySource: input.equity.source,
    dailyPnl: dailyPnl(windowAll, windowPeriod).map((d) => ({ day: utcDayOf(d.dayStartMs), pnlUsdt: d.pnlUsdt })),
  };
  return { report: roundNumbers(report), decision };
}

/** Net P&L of the trades closed in the UTC day `day` (exploration included: it is money), summed in close order. */
export function dayPnlUsdt(trades: readonly TradeRecord[], day: string): number {
  const dayStart = utcDayStart(day);
  return byCloseTime(trades.filter((t) => t.closedAt >= dayStart && t.closedAt < dayStart + DAY_MS)).reduce((s, t) => s + t.pnlUsdt, 0);
}

/** Float noise off (44.99999999999 → 45): every non-integer rounded to 8 decimals, far below a cent. */
export function roundNumbers<T>(value: T): T {
  if (typeof value === 'number') return (Number.isInteger(value) || !Number.isFinite(value) ? value : Math.round(value * 1e8) / 1e8) as T;
  if (value === null || typeof value !== 'object') return value;
  // Plain loops: a backtest builds a report at every simulated midnight, and entries/fromEntries
  // allocated a pair per field.
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = roundNumbers(value[i] as unknown);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = roundNumbers((value as Record<string, unknown>)[key]);
  return out as T;
}

/** The report's day P&L as the log line and the notice print it: 2 decimals, never "-0.00". */
export function formatPnl(pnlUsdt: number): string {
  const cents = Math.round(pnlUsdt * 100);
  return (cents === 0 ? 0 : cents / 100).toFixed(2);
}

/** `[MODEL_EVALUATOR] ✅ 評分: {score}/100 | P&L: ${pnl}` (BLUEPRINT "Daily report"). */
export function reportLogLine(report: Pick<DailyReport, 'score' | 'pnlUsdt'>): string {
  return `[MODEL_EVALUATOR] ✅ 評分: ${report.score.score}/100 | P&L: $${formatPnl(report.pnlUsdt)}`;
}
