/**
 * The daily report card service: gathers the inputs of a day's report, builds it, writes
 * the files and the database record, logs the evaluator line, applies the grade, raises
 * the alerts and sends the report (with charts) through the Notifier. Implements the
 * `ReportCards` port Control reads.
 *
 * When: at each UTC midnight of the engine's clock (`schedule.ts`), for the day that just
 * ended; at start for the days missed while the bot was down (`catchUp`); on demand
 * (`npm run report -- --date`). Idempotent: a re-run of a day recomputes the same figures
 * and keeps the grade decision stored with the first run (the action is not taken twice).
 * Runs one at a time (a chain), so the replay loop can wait for `settled()`.
 */
import type { AlertCondition } from '../engine/alerts.js';
import { describeAlert as describeAlertNotice } from '../engine/alerts.js';
import { DAY_MS } from '../engine/metrics.js';
import type { Clock, DailyReportArchive, Grade, Logger, NoticeAttachment, Notifier, Store } from '../engine/ports.js';
import { shadowScore, shouldResume, type ShadowGate, type ShadowOutcome } from '../engine/evaluator.js';
import type { DailyReport, ModeChange, ModelInfo, ModelScore, ReportCards, ReportedAlert, ScorePoint } from '../engine/reports.js';
import type { TradeRecord } from '../engine/types.js';
import { UserInputError, describeError } from '../errors.js';
import { addDays, isUtcDay, utcDayOf, utcDayStart } from '../engine/utc-day.js';
import { buildDailyReport, dayPnlUsdt, gradeDay, reportLogLine, roundNumbers, type GradeDecision, type ReportInput } from './builder.js';
import { writeReportFiles } from './files.js';
import { renderMarkdown, usd } from './markdown.js';

/** Catch-up generates at most this many missed days (older ones are skipped with a warning). */
export const MAX_CATCH_UP_DAYS = 62;

export interface ReportEngine {
  /** The engine's grade now. */
  grade(): Grade | null;
  /** Sets the grade (grade C = pure rules mode, S = size multiplier) and persists it. */
  applyGrade(grade: Grade, reason: string): Promise<void>;
  /** Lifts grade C's pure rules mode (the shadow score reached SELF_LEARNING_RESUME_SCORE); absent: never resumed here. */
  resumeSelfLearning?(reason: string): Promise<void>;
}

/** The model's shadow predictions at grade C, and how the report scores them (evaluator.ts). */
export interface ReportShadow {
  /** Shadow predictions whose outcomes were known by `untilMs`. */
  outcomes(untilMs: number): readonly ShadowOutcome[];
  readonly gate: ShadowGate;
  /** SELF_LEARNING_RESUME_SCORE. */
  readonly resumeScore: number;
}

export interface ReportAlerts {
  raise(condition: AlertCondition): boolean;
  firedBetween(fromMs: number, toMs: number): ReportedAlert[];
}

export interface DailyReportsDeps {
  readonly store: Pick<Store, 'tradesByDay'>;
  /**
   * Where reports are kept. null (the backtest): a report only grades the engine: it is
   * logged and its grade applied, but not rendered, kept, written or sent.
   */
  readonly archive: DailyReportArchive | null;
  /** The engine's clock: market time in a replay. */
  readonly clock: Clock;
  readonly logger: Logger;
  readonly notifier: Notifier;
  readonly alerts?: ReportAlerts;
  /** Realised equity now (the wallet balance), or null when unknown. */
  readonly equity: () => Promise<{ readonly usdt: number; readonly source: 'exchange' | 'venue' } | null>;
  /** Equity taken at the window start when there is no reading. */
  readonly fallbackEquityUsdt: number;
  /** Absent (the one-shot CLI): the report is written, the grade is not applied. */
  readonly engine?: ReportEngine;
  /** Grade C: the shadow score and the automatic resume; absent: neither. */
  readonly shadow?: ReportShadow;
  readonly modeChanges?: (fromMs: number, toMs: number) => Promise<ModeChange[]>;
  readonly model?: () => ModelInfo;
  /** Renders the report's charts; absent: no charts. */
  readonly charts?: (report: DailyReport, history: readonly ScorePoint[]) => Promise<NoticeAttachment[]>;
  /** Attach charts to the report notice (a transport that shows them is wired). */
  readonly attachCharts?: boolean;
  /** Where the files go; null: database only. */
  readonly dir: string | null;
  readonly windowDays: number;
  readonly minTrades: number;
  readonly gradeSSizeMultiplier: number;
}

/** `apply`: take the grade action (the running bot); `alert`: raise the report's alerts (not for old catch-up days). */
interface DayOptions {
  readonly apply: boolean;
  readonly alert: boolean;
}

interface StoredDecision {
  readonly gradeBefore: Grade | null;
  readonly gradeAfter: Grade | null;
  readonly actionTaken: string;
}

const isStoredReport = (value: unknown): value is DailyReport =>
  typeof value === 'object' && value !== null && (value as { schema?: unknown }).schema === 1 && typeof (value as { day?: unknown }).day === 'string';

/** An alert condition as a report lists it (the alert module's wording). */
function describeReportedAlert(condition: AlertCondition, atMs: number): ReportedAlert {
  const notice = describeAlertNotice(condition, atMs);
  return { at: atMs, key: notice.key, severity: notice.severity, title: notice.title };
}

function mergeAlerts(a: readonly ReportedAlert[], b: readonly ReportedAlert[]): ReportedAlert[] {
  const seen = new Set<string>();
  return [...a, ...b]
    .filter((x) => {
      const id = `${x.key}@${x.at}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((x, y) => x.at - y.at);
}

export class DailyReports implements ReportCards {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly deps: DailyReportsDeps) {
    this.log = deps.logger.child('reports');
  }

  /** Resolves when every queued report is done (the replay loop waits for it). */
  settled(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  /** Called at a UTC midnight (`midnightMs`): the day that just ended gets its report. */
  onMidnight(midnightMs: number): Promise<DailyReport | null> {
    const day = utcDayOf(midnightMs - 1);
    return this.enqueue(`report ${day}`, () => this.finishDay(day, { apply: true, alert: true }));
  }

  /** At start: the reports of the days missed while the bot was down (up to yesterday). */
  catchUp(): Promise<DailyReport[] | null> {
    return this.enqueue('catch-up', async () => {
      const yesterday = addDays(utcDayOf(this.deps.clock.now()), -1);
      const days = await this.missedDays(yesterday);
      const done: DailyReport[] = [];
      for (const [i, day] of days.entries()) {
        const report = await this.finishDay(day, { apply: true, alert: i === days.length - 1 });
        if (report !== null) done.push(report);
      }
      if (days.length > 0) this.log.info(`caught up ${days.length} missed daily report(s): ${days[0]} → ${days.at(-1)}`);
      return done;
    });
  }

  private async missedDays(yesterday: string): Promise<string[]> {
    const latest = (await this.archivedDays()).at(-1);
    if (latest === undefined) {
      // First run: only yesterday, and only if anything traded in the window.
      const from = addDays(yesterday, -(this.deps.windowDays - 1));
      for (let day = from; day <= yesterday; day = addDays(day, 1)) if ((await this.deps.store.tradesByDay(day)).length > 0) return [yesterday];
      return [];
    }
    const missed: string[] = [];
    for (let day = addDays(latest, 1); day <= yesterday; day = addDays(day, 1)) missed.push(day);
    if (missed.length > MAX_CATCH_UP_DAYS) {
      this.log.warn(`${missed.length} daily reports missed; generating the last ${MAX_CATCH_UP_DAYS} (npm run report -- --date for older days)`);
      return missed.slice(-MAX_CATCH_UP_DAYS);
    }
    return missed;
  }

  /**
   * Builds, stores and sends the report of a finished UTC day. `apply`: take the grade
   * action (the running bot); `alert`: raise the report's alerts (not for old catch-up days).
   */
  async generate(day: string, options: DayOptions): Promise<DailyReport> {
    const now = this.finishedDay(day);
    const archive = this.deps.archive;
    const stored = (await archive?.get(day)) ?? null;
    const storedReport = stored !== null && isStoredReport(stored.report) ? stored.report : null;
    const decided: StoredDecision | null = storedReport;
    const canApply = options.apply && decided === null && this.deps.engine !== undefined;
    const grade: { before: Grade | null } | { decided: GradeDecision } =
      decided !== null
        ? { decided: { gradeBefore: decided.gradeBefore, gradeAfter: decided.gradeAfter, actionTaken: decided.actionTaken, alerts: [] } }
        : { before: this.deps.engine?.grade() ?? null };
    const { report, decision } = await this.build(day, now, false, grade);
    // A re-run keeps the alerts the first run listed (the alert memory does not survive a restart).
    let finalReport = storedReport === null ? report : { ...report, alerts: mergeAlerts(storedReport.alerts, report.alerts) };
    if (!canApply && decided === null) {
      // On demand (no engine to act on): say so rather than claim an action.
      finalReport = { ...report, gradeAfter: report.gradeBefore, actionTaken: `none: on-demand report (the running bot applies grades at 00:00 UTC; this one would: ${report.actionTaken})` };
    }
    // Grade C: the model's shadow score; a full report reaching SELF_LEARNING_RESUME_SCORE resumes self-learning.
    const shadow = this.shadowScoreOf(day, finalReport.gradeBefore, finalReport.gradeAfter, finalReport.equityCurve[0]?.equityUsdt);
    const resume = shadow !== null && canApply && this.resumes(decision, shadow);
    if (shadow !== null) {
      const resumed = storedReport !== null ? storedReport.shadow?.resumed === true : resume;
      finalReport = {
        ...finalReport,
        shadow: {
          score: shadow.score,
          grade: shadow.grade,
          trades: shadow.trades,
          enoughTrades: shadow.enoughTrades,
          resumeScore: this.deps.shadow!.resumeScore,
          resumed,
        },
        ...(resume
          ? {
              gradeAfter: null,
              actionTaken: `${finalReport.actionTaken}; self-learning resumed: shadow score ${shadow.score} ≥ ${this.deps.shadow!.resumeScore}`,
            }
          : {}),
      };
    }
    if (archive !== null) {
      const markdown = renderMarkdown(finalReport);
      await archive.put({ day, generatedAt: now, report: finalReport, markdown });
      if (this.deps.dir !== null) await writeReportFiles(this.deps.dir, finalReport, markdown);
    }
    await this.act(day, { score: finalReport.score, pnlUsdt: finalReport.pnlUsdt, decision, shadow: resume ? shadow : null, canApply }, options);
    if (archive !== null) await this.send(finalReport);
    return finalReport;
  }

  /** The clock's time, once `day` is a finished UTC day; a clear error otherwise. */
  private finishedDay(day: string): number {
    if (!isUtcDay(day)) throw new UserInputError(`the date must be a UTC day YYYY-MM-DD, got "${day}"`);
    const now = this.deps.clock.now();
    if (utcDayStart(day) + DAY_MS > now) throw new UserInputError(`${day} has not ended yet (UTC); /report today shows the day so far`);
    return now;
  }

  /** A finished day, as the running bot takes it: the report (`generate`), or only its grade when there is no archive (the backtest). */
  private async finishDay(day: string, options: DayOptions): Promise<DailyReport | null> {
    if (this.deps.archive !== null) return this.generate(day, options);
    await this.gradeOnly(day, this.finishedDay(day), options);
    return null;
  }

  /**
   * The backtest's report (no archive): the day's grade exactly as `generate` decides and
   * takes it (same score, same shadow score, same log line, grade, resume and alerts), without
   * the report's display figures, curve and rounding copy, which nobody would see.
   */
  private async gradeOnly(day: string, now: number, options: DayOptions): Promise<void> {
    const canApply = options.apply && this.deps.engine !== undefined;
    const inputs = await this.inputs(day, now);
    const { score, decision, startingEquityUsdt } = gradeDay({ ...inputs, day, partial: false, grade: { before: this.deps.engine?.grade() ?? null } });
    const gradeAfter = canApply ? decision.gradeAfter : decision.gradeBefore;
    // The report rounds its figures (roundNumbers): its equity curve starts at the rounded value.
    const shadow = this.shadowScoreOf(day, decision.gradeBefore, gradeAfter, roundNumbers(startingEquityUsdt));
    const resume = shadow !== null && canApply && this.resumes(decision, shadow);
    const pnlUsdt = roundNumbers(dayPnlUsdt(inputs.trades, day));
    await this.act(day, { score, pnlUsdt, decision, shadow: resume ? shadow : null, canApply }, options);
  }

  /** Whether the shadow score lifts grade C now (an engine that can resume, the score reached). */
  private resumes(decision: GradeDecision, shadow: ModelScore): boolean {
    return this.deps.engine?.resumeSelfLearning !== undefined && shouldResume(decision.gradeAfter, shadow, this.deps.shadow!.resumeScore);
  }

  /** What a finished day's report does: the evaluator log line, the grade applied, self-learning resumed, the alerts. */
  private async act(
    day: string,
    outcome: { readonly score: ModelScore; readonly pnlUsdt: number; readonly decision: GradeDecision; readonly shadow: ModelScore | null; readonly canApply: boolean },
    options: DayOptions,
  ): Promise<void> {
    const { score, decision, shadow, canApply } = outcome;
    this.log.info(reportLogLine({ score, pnlUsdt: outcome.pnlUsdt }), { day, grade: score.grade, enoughTrades: score.enoughTrades });
    const engine = this.deps.engine;
    if (canApply && decision.gradeAfter !== null && decision.gradeAfter !== decision.gradeBefore && engine !== undefined) {
      await engine.applyGrade(decision.gradeAfter, `daily report ${day}: score ${score.score}`);
    }
    if (shadow !== null && engine?.resumeSelfLearning !== undefined) {
      const resumeScore = this.deps.shadow!.resumeScore;
      await engine.resumeSelfLearning(`daily report ${day}: shadow score ${shadow.score} ≥ ${resumeScore} on ${shadow.trades} shadow trades`);
      this.log.info(`self-learning resumed: the model's shadow score ${shadow.score} reached ${resumeScore} (${shadow.trades} shadow trades)`, { day });
      if (options.alert) this.deps.alerts?.raise({ kind: 'self_learning_resumed', day, shadowScore: shadow.score, resumeScore });
    }
    if (options.alert && canApply) for (const condition of decision.alerts) this.deps.alerts?.raise(condition);
  }

  /** The trades, equity reading and day of a report: everything it is computed from that the engine holds. */
  private async inputs(day: string, now: number) {
    const dayStart = utcDayStart(day);
    const windowFrom = dayStart + DAY_MS - this.deps.windowDays * DAY_MS;
    const reading = await this.deps.equity().catch((error: unknown) => {
      this.log.warn(`no balance reading for the report (${describeError(error)}); equity assumed`);
      return null;
    });
    // Trades from the window start up to now: the equity reading is "now".
    const lastDay = reading === null ? day : utcDayOf(now);
    const trades: TradeRecord[] = [];
    for (let d = utcDayOf(windowFrom); d <= lastDay; d = addDays(d, 1)) trades.push(...(await this.deps.store.tradesByDay(d)));
    const equity: ReportInput['equity'] =
      reading === null ? { usdt: this.deps.fallbackEquityUsdt, atMs: now, source: 'assumed' } : { usdt: reading.usdt, atMs: now, source: reading.source };
    return {
      trades,
      equity,
      windowDays: this.deps.windowDays,
      minTrades: this.deps.minTrades,
      gradeSSizeMultiplier: this.deps.gradeSSizeMultiplier,
    };
  }

  private async build(day: string, now: number, partial: boolean, grade: { before: Grade | null } | { decided: GradeDecision }) {
    const dayStart = utcDayStart(day);
    const inputs = await this.inputs(day, now);
    const modeChanges = (await this.deps.modeChanges?.(dayStart, dayStart + DAY_MS)) ?? [];
    return buildDailyReport({
      ...inputs,
      day,
      generatedAt: now,
      partial,
      grade,
      modeChanges,
      model: this.deps.model?.() ?? { version: null, calibration: null },
      alertsFired: this.deps.alerts?.firedBetween(dayStart, dayStart + DAY_MS) ?? [],
      describeAlert: describeReportedAlert,
    });
  }

  /** The shadow score of a full day's window, when the engine was held at grade C that day; null otherwise. */
  private shadowScoreOf(day: string, gradeBefore: Grade | null, gradeAfter: Grade | null, startingEquityUsdt: number | undefined): ModelScore | null {
    const shadow = this.deps.shadow;
    if (shadow === undefined || (gradeBefore !== 'C' && gradeAfter !== 'C')) return null;
    const windowToMs = utcDayStart(day) + DAY_MS;
    return shadowScore({
      outcomes: shadow.outcomes(windowToMs),
      gate: shadow.gate,
      windowToMs,
      windowDays: this.deps.windowDays,
      minTrades: this.deps.minTrades,
      startingEquityUsdt: startingEquityUsdt ?? this.deps.fallbackEquityUsdt,
    });
  }

  private async send(report: DailyReport): Promise<void> {
    let attachments: NoticeAttachment[] = [];
    if (this.deps.attachCharts === true && this.deps.charts !== undefined) {
      try {
        attachments = await this.deps.charts(report, await this.scoreHistory(30, report.day));
      } catch (error) {
        this.log.warn(`charts could not be rendered; the report goes without them: ${describeError(error)}`);
      }
    }
    const s = report.score;
    this.deps.notifier.notify({
      kind: 'report',
      key: `report:${report.day}`,
      severity: s.grade === 'C' && s.enoughTrades ? 'warning' : 'info',
      title: `Model report ${report.day}: ${s.score}/100 · grade ${s.grade}`,
      lines: [
        `P&L ${usd(report.pnlUsdt)} · ${report.dayFigures.trades} trades · win rate ${report.dayFigures.winRate === null ? '—' : `${(report.dayFigures.winRate * 100).toFixed(1)} %`}`,
        `Fees ${usd(report.dayFigures.feesUsdt)} · funding ${usd(report.dayFigures.fundingUsdt)}`,
        ...(s.enoughTrades ? [] : [`Not enough trades (${s.trades} < ${s.minTrades} in ${s.windowDays} days): grade kept.`]),
        `Action: ${report.actionTaken}`,
      ],
      at: report.generatedAt,
      ...(attachments.length > 0 ? { attachments } : {}),
    });
  }

  private enqueue<T>(what: string, run: () => Promise<T>): Promise<T | null> {
    const next = this.chain.then(run).catch((error: unknown) => {
      this.log.error(`${what} failed: ${describeError(error)}`);
      return null;
    });
    this.chain = next;
    return next;
  }

  // ---- ReportCards ------------------------------------------------------------------------

  async latest(): Promise<DailyReport | null> {
    const stored = (await this.deps.archive?.latest()) ?? null;
    return stored !== null && isStoredReport(stored.report) ? stored.report : null;
  }

  async forDay(dayUtc: string): Promise<DailyReport | null> {
    if (!isUtcDay(dayUtc)) throw new UserInputError(`the date must be a UTC day YYYY-MM-DD, got "${dayUtc}"`);
    const stored = (await this.deps.archive?.get(dayUtc)) ?? null;
    return stored !== null && isStoredReport(stored.report) ? stored.report : null;
  }

  async today(): Promise<DailyReport> {
    const now = this.deps.clock.now();
    const { report } = await this.build(utcDayOf(now), now, true, { before: this.deps.engine?.grade() ?? null });
    return report;
  }

  async scoreHistory(days: number, endDay?: string): Promise<ScorePoint[]> {
    if (!Number.isInteger(days) || days < 1 || days > 365) throw new UserInputError('days must be a whole number from 1 to 365');
    const last = endDay ?? addDays(utcDayOf(this.deps.clock.now()), -1);
    const first = addDays(last, -(days - 1));
    const wanted = (await this.archivedDays()).filter((d) => d >= first && d <= last);
    const points: ScorePoint[] = [];
    for (const day of wanted) {
      const report = await this.forDay(day);
      if (report === null) continue;
      points.push({ day, score: report.score.score, grade: report.score.grade, enoughTrades: report.score.enoughTrades, trades: report.score.trades, pnlUsdt: report.pnlUsdt });
    }
    return points;
  }

  private async archivedDays(): Promise<string[]> {
    return this.deps.archive === null ? [] : this.deps.archive.days();
  }

  async charts(report: DailyReport): Promise<NoticeAttachment[]> {
    if (this.deps.charts === undefined) return [];
    return this.deps.charts(report, await this.scoreHistory(30, report.day));
  }
}
