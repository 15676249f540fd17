/**
 * The daily report card's shape and the `ReportCards` port: what the evaluator computes,
 * what `reports/daily/model_report_YYYY-MM-DD.json` holds, and what transports (Discord
 * /score and /report, the console, the notifier) read. Pure data, no behaviour.
 *
 * Units: `…Usdt` in USDT, `…Rate` a fraction (0.55 = 55 %), `…Pct` a percent (3.2 = 3.2 %),
 * `…R` in R-multiples (1R = the trade's planned risk `plannedRiskUsdt`), times in ms UTC.
 */
import type { LeverageBucket } from './metrics.js';
import type { Grade, NoticeAttachment } from './ports.js';

export type { LeverageBucket };

/** What a grade makes the engine do (BLUEPRINT "Model score and grades"). */
export type GradeAction = 'size_multiplier' | 'maintain' | 'observe' | 'rules_mode';

export type DimensionKey = 'rr' | 'win_rate' | 'ev' | 'max_drawdown' | 'sharpe' | 'frequency';

/** One of the six score dimensions: the measured value, and the points it earned. */
export interface DimensionScore {
  readonly key: DimensionKey;
  /** Human label, e.g. "R:R (avg win / avg loss)". */
  readonly label: string;
  /** The measured input of the mapping (ratio, rate, R, fraction, Sharpe, trades per day); null when undefined (0 points). */
  readonly value: number | null;
  /** Points earned, 0..maxPoints, rounded to 2 decimals. */
  readonly points: number;
  /** The dimension's weight. */
  readonly maxPoints: number;
}

/** The 0–100 model score over the score window (exploration trades excluded). */
export interface ModelScore {
  /** Integer 0..100: sum of the dimensions, minus the 100 % loss penalty, clamped, rounded. */
  readonly score: number;
  /** Sum of the dimensions' points before the penalty. */
  readonly rawPoints: number;
  /** 15 points per 100 % loss in the window. */
  readonly penaltyPoints: number;
  readonly dimensions: readonly DimensionScore[];
  /** The grade of `score` (S ≥ 90, A ≥ 80, B ≥ 70, C below). */
  readonly grade: Grade;
  readonly action: GradeAction;
  /** Closed non-exploration trades in the window. */
  readonly trades: number;
  readonly minTrades: number;
  /** false: fewer than `minTrades` trades — shown, but the engine's grade is kept. */
  readonly enoughTrades: boolean;
  readonly windowDays: number;
  readonly windowFromMs: number;
  readonly windowToMs: number;
}

/**
 * Money and risk figures of a set of closed trades (a day or the score window), from the
 * one implementation in `metrics.ts`. A figure undefined for the input is null.
 */
export interface TradeFigures {
  readonly trades: number;
  readonly wins: number;
  readonly losses: number;
  readonly winRate: number | null;
  /** Net realised P&L: price P&L − fees + funding. */
  readonly pnlUsdt: number;
  /** Price P&L before fees and funding. */
  readonly grossPnlUsdt: number;
  readonly feesUsdt: number;
  /** Signed: positive when received. */
  readonly fundingUsdt: number;
  /** Average R:R: mean win / |mean loss| (payoff ratio); null without a win and a loss. */
  readonly averageRr: number | null;
  /** Expected value per trade: mean net P&L. */
  readonly expectancyUsdt: number | null;
  /** Expected value per trade in R (net P&L / planned risk). */
  readonly expectancyR: number | null;
  /** Largest peak-to-trough fall of realised equity, fraction of the peak. */
  readonly maxDrawdownRate: number;
  /** Annualised Sharpe of daily realised returns; null with < 2 days or no variance. */
  readonly sharpe: number | null;
  readonly losses100Pct: number;
  readonly liquidations: number;
}

/** Exploration trades: shown, never scored (BLUEPRINT "Exploration"). */
export interface ExplorationFigures {
  readonly trades: number;
  readonly wins: number;
  readonly pnlUsdt: number;
}

export interface ModeChange {
  readonly at: number;
  /** Who changed it: an operator id, or `evaluator` for a grade-driven change. */
  readonly actor: string;
  readonly action: string;
  readonly detail: string;
}

export interface ModelInfo {
  /** The promoted model's version; null until the first model is promoted. */
  readonly version: string | null;
  /** Calibration figures of that model (e.g. brierScore, ece, samples); null until it exists. */
  readonly calibration: Readonly<Record<string, number>> | null;
}

/** An alert as the report lists it. */
export interface ReportedAlert {
  readonly at: number;
  readonly key: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly title: string;
}

/** One point of the realised equity curve (after a trade, or at a day boundary). */
export interface EquityPoint {
  readonly at: number;
  readonly equityUsdt: number;
}

/** One day of the score history. */
export interface ScorePoint {
  readonly day: string;
  readonly score: number;
  readonly grade: Grade;
  readonly enoughTrades: boolean;
  readonly trades: number;
  readonly pnlUsdt: number;
}

/**
 * The model's shadow score while grade C holds the engine in pure rules mode: the same score,
 * of the trades the model's gate would have taken (evaluator.ts `shadowScore`).
 */
export interface ShadowScoreSummary {
  readonly score: number;
  readonly grade: Grade;
  /** Shadow trades in the score window, and whether they are enough to act on. */
  readonly trades: number;
  readonly enoughTrades: boolean;
  /** SELF_LEARNING_RESUME_SCORE, and whether this report resumed self-learning. */
  readonly resumeScore: number;
  readonly resumed: boolean;
}

/** The daily report card: `model_report_YYYY-MM-DD.json`. */
export interface DailyReport {
  readonly schema: 1;
  /** The UTC day the report covers, 'YYYY-MM-DD'. */
  readonly day: string;
  /** Engine-clock time it was built (market time in a replay). */
  readonly generatedAt: number;
  /** true for a "today so far" report (the day has not ended). */
  readonly partial: boolean;
  readonly score: ModelScore;
  /** The engine's grade before this report, and after it (kept when there are not enough trades). */
  readonly gradeBefore: Grade | null;
  readonly gradeAfter: Grade | null;
  /** What the engine did about the grade, in words ("switched to pure rules mode", "none: not enough trades"). */
  readonly actionTaken: string;
  /** Net realised P&L of the day (fees and funding included), every closed trade: the log line's P&L. */
  readonly pnlUsdt: number;
  /** The day's closed non-exploration trades. */
  readonly dayFigures: TradeFigures;
  /** The score window's closed non-exploration trades. */
  readonly windowFigures: TradeFigures;
  readonly exploration: ExplorationFigures;
  /** Trades of the day (exploration included) by applied leverage, ascending. */
  readonly leverageDistribution: readonly LeverageBucket[];
  readonly modeChanges: readonly ModeChange[];
  readonly model: ModelInfo;
  readonly alerts: readonly ReportedAlert[];
  /** Realised equity at the window start, and after each trade of the window. */
  readonly equityCurve: readonly EquityPoint[];
  /** Where the equity level came from: the exchange balance now, the paper venue, or the configured start. */
  readonly equitySource: 'exchange' | 'venue' | 'assumed';
  /** Net P&L of each day of the window, oldest first (the daily P&L chart). */
  readonly dailyPnl: readonly { readonly day: string; readonly pnlUsdt: number }[];
  /** Grade C days: the model's shadow score (absent otherwise, and in reports older than it). */
  readonly shadow?: ShadowScoreSummary;
}

/**
 * What Control (and so Discord /score and /report, the console) may ask of the reports.
 * Implemented in `src/reports/`; optional for Control (absent: "reports are not enabled").
 */
export interface ReportCards {
  /** The most recent stored report, or null when none was written yet. */
  latest(): Promise<DailyReport | null>;
  /** The stored report of a UTC day 'YYYY-MM-DD', or null. Bad input → UserInputError. */
  forDay(dayUtc: string): Promise<DailyReport | null>;
  /** A report built now for the current UTC day so far (partial; not stored, no action taken). */
  today(): Promise<DailyReport>;
  /** Scores of the stored reports of the last `days` days (1..365), oldest first. */
  scoreHistory(days: number): Promise<ScorePoint[]>;
  /** The report's charts as PNG attachments (equity + drawdown, daily P&L, score history, leverage). */
  charts(report: DailyReport): Promise<NoticeAttachment[]>;
}
