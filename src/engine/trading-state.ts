/**
 * The engine's trading state, driven by how errors say the caller must react
 * (`TraderError.reaction`, STYLE.md §4; nautilus_trader's risk engine states):
 *
 *   active     trading as usual
 *   reducing   no new entries; exits and protection go on (insufficient funds: `pause`)
 *   halted     nothing but what protects positions (keys revoked, permissions missing,
 *              the store refusing writes: `halt`); an alert is raised, and the position
 *              loop reads the exchange rarely instead of every tick (no request storm)
 *
 * Reducing lifts by itself after `reducingForMs` (the balance may have been topped up; the
 * next refusal sets it again); halted lasts until the operator fixes the cause and restarts.
 * Each change raises the `engine_state` alert through the AlertSink (dedup, the day's report);
 * without one, the alert is only logged.
 */
import { describeAlert, type AlertSink } from './alerts.js';
import type { Clock, Logger, Notifier } from './ports.js';
import { TraderError, describeError } from '../errors.js';

export type TradingStateName = 'active' | 'reducing' | 'halted';

export interface TradingStatus {
  readonly state: TradingStateName;
  /** Why the engine is not active (null when active). */
  readonly reason: string | null;
  /** Wall time of the last change (null: active since start). */
  readonly since: number | null;
}

export interface TradingStateOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the halted/reducing alerts go (the reports' AlertCenter); logged only when absent. */
  readonly alerts?: AlertSink;
  /** How long an insufficient-funds refusal keeps the engine reducing (default 15 min). */
  readonly reducingForMs?: number;
}

export const DEFAULT_REDUCING_FOR_MS = 15 * 60_000;

/** A notifier that only logs (no transport wired yet). */
export function logNotifier(logger: Logger): Notifier {
  const log = logger.child('notices');
  return {
    notify(notice) {
      const line = `${notice.title}${notice.lines.length > 0 ? ` · ${notice.lines.join(' · ')}` : ''}`;
      if (notice.severity === 'critical') log.error(line, { key: notice.key });
      else if (notice.severity === 'warning') log.warn(line, { key: notice.key });
      else log.info(line, { key: notice.key });
    },
  };
}

/** An AlertSink that only logs the alert (no alert center wired). */
export function logAlerts(logger: Logger, clock: Clock): AlertSink {
  const notifier = logNotifier(logger);
  return {
    raise(condition) {
      notifier.notify(describeAlert(condition, clock.now()));
      return true;
    },
  };
}

export class TradingState {
  private current: TradingStatus = { state: 'active', reason: null, since: null };
  private reducingUntil = 0;
  private readonly log: Logger;
  private readonly alerts: AlertSink;

  constructor(private readonly options: TradingStateOptions) {
    this.log = options.logger.child('trading-state');
    this.alerts = options.alerts ?? logAlerts(options.logger, options.clock);
  }

  status(): TradingStatus {
    this.expireReducing();
    return this.current;
  }

  /** New entries are allowed only while active. */
  canEnter(): boolean {
    return this.status().state === 'active';
  }

  isHalted(): boolean {
    return this.current.state === 'halted';
  }

  /**
   * Acts on an error's declared reaction. Returns the state after it. Errors that ask for
   * nothing beyond their own handling (retry, reconcile, skip, back off) change nothing.
   */
  observe(error: unknown, context: string): TradingStateName {
    if (!(error instanceof TraderError)) return this.status().state;
    if (error.reaction === 'halt') this.halt(`${context}: ${describeError(error)}`);
    else if (error.reaction === 'pause') this.reduce(`${context}: ${describeError(error)}`);
    return this.status().state;
  }

  /** Nothing but protection from now on; one critical alert. */
  halt(reason: string): void {
    if (this.current.state === 'halted') return;
    const at = this.options.clock.now();
    this.current = { state: 'halted', reason, since: at };
    this.log.error(`engine HALTED: ${reason}; no new entries, only what protects open positions; fix the cause and restart`);
    this.alerts.raise({ kind: 'engine_state', state: 'halted', reason });
  }

  /** No new entries for a while; exits and protection go on; one notice. */
  reduce(reason: string): void {
    if (this.current.state === 'halted') return;
    const at = this.options.clock.now();
    this.reducingUntil = at + (this.options.reducingForMs ?? DEFAULT_REDUCING_FOR_MS);
    if (this.current.state === 'reducing') return;
    this.current = { state: 'reducing', reason, since: at };
    this.log.warn(`engine REDUCING: ${reason}; no new entries, exits and protection go on`);
    this.alerts.raise({ kind: 'engine_state', state: 'reducing', reason });
  }

  private expireReducing(): void {
    if (this.current.state !== 'reducing' || this.options.clock.now() < this.reducingUntil) return;
    this.current = { state: 'active', reason: null, since: this.options.clock.now() };
    this.log.info('engine ACTIVE again: new entries allowed');
  }
}

/** Whether one managed position has its protective stop on the exchange, as last checked. */
export interface PositionProtection {
  readonly symbol: string;
  /** True while a reduce-only stop for the position's full size is known to rest on the exchange. */
  readonly stopProtected: boolean;
  /** Why it is not (e.g. "stop refused: …"), or null. */
  readonly detail: string | null;
}
