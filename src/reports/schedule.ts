/**
 * "At every 00:00 UTC" (BLUEPRINT "Daily report: runs daily at 00:00 UTC, in process").
 *
 * Two triggers, one contract (`MidnightTrigger`):
 * - `ClockMidnightTrigger` arms a timer on the engine's Clock port, so a replay, a backtest
 *   or a soak run gets one report at each simulated midnight, and a test drives it with a
 *   ManualClock. All arithmetic is in UTC milliseconds: the machine's time zone never enters.
 * - `NodeScheduleMidnightTrigger` is the wall-clock adapter: node-schedule with the rule's
 *   time zone set to UTC explicitly (a cron in local time would fire at 00:00 Taipei).
 */
import schedule from 'node-schedule';
import type { Clock } from '../engine/ports.js';

const DAY_MS = 86_400_000;

/** The first UTC midnight strictly after `nowMs`. */
export function nextUtcMidnight(nowMs: number): number {
  return (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS;
}

export interface MidnightTrigger {
  /** Calls `onMidnight(midnightMs)` at every UTC midnight from now on. */
  start(onMidnight: (midnightMs: number) => void): void;
  stop(): void;
}

export class ClockMidnightTrigger implements MidnightTrigger {
  private cancel: (() => void) | null = null;
  private running = false;

  constructor(private readonly clock: Clock) {}

  start(onMidnight: (midnightMs: number) => void): void {
    if (this.running) return;
    this.running = true;
    const arm = (): void => {
      const midnight = nextUtcMidnight(this.clock.now());
      this.cancel = this.clock.setTimer(midnight - this.clock.now(), () => {
        if (!this.running) return;
        // Re-armed from the midnight itself: a clock that jumps days fires once per midnight.
        arm();
        onMidnight(midnight);
      });
    };
    arm();
  }

  stop(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = null;
  }
}

export class NodeScheduleMidnightTrigger implements MidnightTrigger {
  private job: schedule.Job | null = null;

  start(onMidnight: (midnightMs: number) => void): void {
    if (this.job !== null) return;
    const rule = new schedule.RecurrenceRule();
    rule.tz = 'Etc/UTC';
    rule.hour = 0;
    rule.minute = 0;
    rule.second = 0;
    this.job = schedule.scheduleJob(rule, (fireDate: Date) => {
      // The scheduled instant, not "now": a late wake-up still reports the right day.
      onMidnight(Math.round(fireDate.getTime() / DAY_MS) * DAY_MS);
    });
  }

  stop(): void {
    this.job?.cancel();
    this.job = null;
  }
}
