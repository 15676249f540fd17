import type { Clock } from '../engine/ports.js';

/** Wall-clock time. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimer(ms: number, fn: () => void): () => void {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }
}

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to (tests, replay). Timers fire in time order
 * during `advance`/`set`; a timer set by a firing timer fires in the same advance if due.
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: PendingTimer[] = [];
  /** When the earliest pending timer is due (Infinity: none): `set` before it only moves the time. */
  private earliestAt = Number.POSITIVE_INFINITY;
  private nextId = 1;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: PendingTimer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    if (timer.at < this.earliestAt) this.earliestAt = timer.at;
    return () => {
      this.timers = this.timers.filter((t) => t.id !== timer.id);
      this.earliestAt = earliestOf(this.timers);
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  /** Moves time to `targetMs` (never backwards), firing due timers in order. */
  set(targetMs: number): void {
    if (targetMs < this.earliestAt) {
      // Nothing due: the replay moves the clock twice per candle, keep that allocation-free.
      if (targetMs > this.current) this.current = targetMs;
      return;
    }
    // Bounded: each iteration removes one timer; timers added at or before target are picked up.
    for (let guard = 0; guard < 1_000_000; guard++) {
      const due = this.timers.filter((t) => t.at <= targetMs).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t.id !== due.id);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.earliestAt = earliestOf(this.timers);
    this.current = Math.max(this.current, targetMs);
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}

function earliestOf(timers: readonly PendingTimer[]): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const t of timers) if (t.at < earliest) earliest = t.at;
  return earliest;
}

/**
 * One sleep at a time on a clock that `cancel()` ends at once (the sleeper resolves,
 * it does not reject): market-data loops wait with it so `stop()` never waits out a timer.
 */
export class CancellableSleep {
  private cancelCurrent: (() => void) | null = null;

  constructor(private readonly clock: Pick<Clock, 'setTimer'>) {}

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancelTimer = this.clock.setTimer(ms, () => {
        this.cancelCurrent = null;
        resolve();
      });
      this.cancelCurrent = () => {
        cancelTimer();
        this.cancelCurrent = null;
        resolve();
      };
    });
  }

  /** Ends the pending sleep, if any. */
  cancel(): void {
    this.cancelCurrent?.();
  }
}
