/**
 * Operator alerts (issue 13, BLUEPRINT "Daily report": an alert when the score is below 70).
 *
 * Whoever sees a condition calls `AlertSink.raise(condition)`: the report (score below 70,
 * grade change), the trade finaliser (liquidation, 100 % loss), the lanes (breaker block),
 * reconciliation (surprises), position safety (a position left without its stop, engine
 * reducing/halted) and the learning worker (training skipped for memory).
 *
 * Deduplicated: one alert per condition per UTC day, unless it worsens (a lower score, a
 * halt after a reduce, memory 5 points higher…). The day is the engine clock's, so a replay
 * deduplicates per simulated day. The wording and the dedup rule are pure functions below;
 * `AlertCenter` only adds the clock, the notifier and the memory of what it already sent.
 */
import type { Clock, Grade, Logger, Notice, Notifier } from './ports.js';
import type { ReportedAlert } from './reports.js';
import { utcDayOf } from './utc-day.js';

export type AlertCondition =
  | { readonly kind: 'score_below_70'; readonly day: string; readonly score: number; readonly switchedToRules: boolean }
  | { readonly kind: 'grade_change'; readonly day: string; readonly from: Grade | null; readonly to: Grade }
  | {
      readonly kind: 'liquidation';
      readonly symbol: string;
      readonly tradeId: string;
      readonly pnlUsdt: number;
      readonly marginUsdt: number;
    }
  | {
      readonly kind: 'loss_100pct';
      readonly symbol: string;
      readonly tradeId: string;
      readonly pnlUsdt: number;
      readonly marginUsdt: number;
    }
  | { readonly kind: 'breaker_block'; readonly reason: string; readonly retryAfterMs: number | null }
  | { readonly kind: 'reconciliation'; readonly symbol: string | null; readonly detail: string }
  | { readonly kind: 'unprotected_position'; readonly symbol: string; readonly detail: string }
  | { readonly kind: 'engine_state'; readonly state: 'reducing' | 'halted'; readonly reason: string }
  | { readonly kind: 'training_skipped'; readonly memoryUsedRate: number; readonly limitMb: number }
  | { readonly kind: 'self_learning_resumed'; readonly day: string; readonly shadowScore: number; readonly resumeScore: number };

export type AlertKind = AlertCondition['kind'];

/** The one function other parts call. Never throws, never waits; true when a notice went out. */
export interface AlertSink {
  raise(condition: AlertCondition): boolean;
}

/** What the dedup compares: the condition's identity within a day, and how bad it is. */
export interface AlertIdentity {
  /** `kind:subject`, also the Notice key. */
  readonly key: string;
  /** Higher is worse; a repeat on the same day notifies only when this grows. */
  readonly magnitude: number;
}

const GRADE_RANK: Readonly<Record<Grade, number>> = { S: 0, A: 1, B: 2, C: 3 };

export function alertIdentity(condition: AlertCondition): AlertIdentity {
  switch (condition.kind) {
    case 'score_below_70':
      return { key: `score_below_70:${condition.day}`, magnitude: 70 - condition.score };
    case 'grade_change':
      return { key: `grade_change:${condition.day}:${condition.from ?? 'none'}>${condition.to}`, magnitude: GRADE_RANK[condition.to] };
    case 'liquidation':
    case 'loss_100pct':
      return { key: `${condition.kind}:${condition.tradeId}`, magnitude: 1 };
    case 'breaker_block':
      return { key: 'breaker_block', magnitude: 1 };
    case 'reconciliation':
      return { key: `reconciliation:${condition.symbol ?? 'account'}`, magnitude: 1 };
    case 'unprotected_position':
      return { key: `unprotected:${condition.symbol}`, magnitude: 1 };
    case 'engine_state':
      return { key: 'engine_state', magnitude: condition.state === 'halted' ? 2 : 1 };
    case 'training_skipped':
      // In 5-point steps: 81 % → 82 % is not "worse" enough to wake anyone.
      return { key: 'training_skipped', magnitude: Math.floor((condition.memoryUsedRate * 100) / 5) };
    case 'self_learning_resumed':
      return { key: `self_learning_resumed:${condition.day}`, magnitude: 1 };
  }
}

const usdt = (value: number): string => `${value < 0 ? '-' : ''}$${Math.abs(value).toFixed(2)}`;

/** Halted: nothing but protection until a restart; reducing (the `pause` reaction, insufficient funds): no entries for a while. */
function engineStateWording(condition: Extract<AlertCondition, { kind: 'engine_state' }>): Pick<Notice, 'severity' | 'title' | 'lines'> {
  if (condition.state === 'halted') {
    return {
      severity: 'critical',
      title: 'Trading halted',
      lines: [
        condition.reason,
        'No new entries; open positions keep their exchange-side stops.',
        'Fix the cause (API key, permissions) and restart the bot.',
      ],
    };
  }
  return {
    severity: 'warning',
    title: 'No new entries: insufficient funds',
    lines: [condition.reason, 'Exits and stops go on; entries resume by themselves once margin is available again.'],
  };
}

/** The notice an operator reads for a condition (short lines, phone-sized). */
export function describeAlert(condition: AlertCondition, atMs: number): Notice {
  const { key } = alertIdentity(condition);
  const base = { kind: 'alert' as const, key, at: atMs };
  switch (condition.kind) {
    case 'score_below_70':
      return {
        ...base,
        severity: 'critical',
        title: `Model score ${condition.score}/100 (below 70)`,
        lines: [
          `Report of ${condition.day}: grade C.`,
          condition.switchedToRules
            ? 'Switched to pure rules mode (leverage capped by RULES_MAX_LEVERAGE).'
            : 'Already in pure rules mode.',
          'Self-learning resumes by itself when a daily report grades B or better, or when its shadow score reaches SELF_LEARNING_RESUME_SCORE.',
        ],
      };
    case 'grade_change':
      return {
        ...base,
        severity: condition.to === 'C' ? 'critical' : 'info',
        title: `Grade ${condition.from ?? '—'} → ${condition.to}`,
        lines: [`Report of ${condition.day}.`, gradeMeaning(condition.to)],
      };
    case 'liquidation':
      return {
        ...base,
        severity: 'critical',
        title: `Liquidation on ${condition.symbol}`,
        lines: [`Trade ${condition.tradeId}: P&L ${usdt(condition.pnlUsdt)} on ${usdt(condition.marginUsdt)} margin.`],
      };
    case 'loss_100pct':
      return {
        ...base,
        severity: 'critical',
        title: `100 % loss on ${condition.symbol}`,
        lines: [
          `Trade ${condition.tradeId} lost its whole margin: P&L ${usdt(condition.pnlUsdt)} on ${usdt(condition.marginUsdt)}.`,
          'Costs 15 score points.',
        ],
      };
    case 'breaker_block':
      return {
        ...base,
        severity: 'warning',
        title: 'Rate-limit breaker: block',
        lines: [
          condition.reason,
          condition.retryAfterMs === null
            ? 'Only position-safety requests pass.'
            : `Only position-safety requests pass for ${Math.ceil(condition.retryAfterMs / 1000)} s.`,
        ],
      };
    case 'reconciliation':
      return { ...base, severity: 'warning', title: `Reconciliation: ${condition.symbol ?? 'account'}`, lines: [condition.detail] };
    case 'unprotected_position':
      return { ...base, severity: 'critical', title: `${condition.symbol} has no stop on the exchange`, lines: [condition.detail] };
    case 'engine_state':
      return { ...base, ...engineStateWording(condition) };
    case 'training_skipped':
      return {
        ...base,
        severity: 'warning',
        title: 'Model training skipped (memory)',
        lines: [
          `Memory use ${(condition.memoryUsedRate * 100).toFixed(0)} % of ${condition.limitMb} MB (limit 80 %). Training resumes when it falls.`,
        ],
      };
    case 'self_learning_resumed':
      return { ...base, ...resumedNotice(condition) };
  }
}

function resumedNotice(
  condition: Extract<AlertCondition, { kind: 'self_learning_resumed' }>,
): Pick<Notice, 'severity' | 'title' | 'lines'> {
  return {
    severity: 'info',
    title: `Self-learning resumed (shadow score ${condition.shadowScore}/100)`,
    lines: [
      `Report of ${condition.day}: the model's shadow trades scored ${condition.shadowScore} ≥ ${condition.resumeScore} (SELF_LEARNING_RESUME_SCORE).`,
      'Grade C lifted: the model trades again; the next daily report grades it.',
    ],
  };
}

export function gradeMeaning(grade: Grade): string {
  switch (grade) {
    case 'S':
      return 'S: position size multiplied (GRADE_S_SIZE_MULTIPLIER).';
    case 'A':
      return 'A: maintain.';
    case 'B':
      return 'B: observe (flagged in reports).';
    case 'C':
      return 'C: pure rules mode.';
  }
}

/**
 * The dedup memory: the worst magnitude sent per key, per UTC day. Pure apart from its own
 * map; only today's entries are kept (yesterday's alerts do not silence today's).
 */
export class AlertDedup {
  private day = '';
  private readonly sent = new Map<string, number>();

  /** true (and remembered) when `identity` was not sent today, or is worse than what was. */
  admit(identity: AlertIdentity, day: string): boolean {
    if (day !== this.day) {
      this.day = day;
      this.sent.clear();
    }
    const previous = this.sent.get(identity.key);
    if (previous !== undefined && identity.magnitude <= previous) return false;
    this.sent.set(identity.key, identity.magnitude);
    return true;
  }
}

/** Fired alerts kept for the reports: a bounded list. */
const FIRED_LIMIT = 2000;

export interface AlertCenterDeps {
  readonly notifier: Notifier;
  /** Engine clock: the day of the dedup and of the report (market time in a replay). */
  readonly clock: Clock;
  readonly logger?: Logger;
}

/** The AlertSink of the running bot: dedup, notify, log, and remember for the daily report. */
export class AlertCenter implements AlertSink {
  private readonly dedup = new AlertDedup();
  private readonly fired: ReportedAlert[] = [];
  private readonly log: Logger | undefined;

  constructor(private readonly deps: AlertCenterDeps) {
    this.log = deps.logger?.child('alerts');
  }

  raise(condition: AlertCondition): boolean {
    try {
      const at = this.deps.clock.now();
      const identity = alertIdentity(condition);
      if (!this.dedup.admit(identity, utcDayOf(at))) return false;
      const notice = describeAlert(condition, at);
      this.remember({ at, key: notice.key, severity: notice.severity, title: notice.title });
      this.log?.warn(`ALERT ${notice.title}`, { key: notice.key, severity: notice.severity });
      this.deps.notifier.notify(notice);
      return true;
    } catch (error) {
      // An alert must never break the caller (a trade finaliser, the lanes…).
      this.log?.error('could not raise an alert', { kind: condition.kind, error: String(error) });
      return false;
    }
  }

  private remember(alert: ReportedAlert): void {
    this.fired.push(alert);
    if (this.fired.length > FIRED_LIMIT) this.fired.splice(0, this.fired.length - FIRED_LIMIT);
  }

  /** Alerts sent in [fromMs, toMs), oldest first. */
  firedBetween(fromMs: number, toMs: number): ReportedAlert[] {
    return this.fired.filter((a) => a.at >= fromMs && a.at < toMs);
  }
}
