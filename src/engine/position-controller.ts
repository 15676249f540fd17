/**
 * PositionController: full control of open positions, 24/7 (BLUEPRINT "PositionController").
 * Every `intervalMs` on the injected Clock: one positions request (lane 1), then the
 * Trader evaluates and executes (closes on lane 0). Ticks never overlap: a tick that is
 * due while one is running is coalesced into the next, and the lag is logged and exposed.
 * In replay/backtest the composition root calls `tick()` at every candle close instead.
 */
import type { Clock, Exchange, Logger } from './ports.js';
import { NOTHING_TO_DO, type Trader } from './trader.js';
import type { TradingState } from './trading-state.js';
import { describeError } from '../errors.js';

/** While halted (keys revoked…), the exchange is read this rarely (no request storm). */
export const DEFAULT_HALTED_READ_EVERY_MS = 60_000;

export interface ControllerStats {
  readonly ticks: number;
  readonly failedTicks: number;
  readonly coalesced: number;
  readonly lastTickAt: number | null;
  readonly lastTickMs: number | null;
  readonly maxTickMs: number;
  /** How late the last tick started relative to its schedule. */
  readonly lastLagMs: number;
  readonly running: boolean;
  /** Ticks evaluated from the engine's own state because the positions could not be read (rate-limit block). */
  readonly ownStateTicks: number;
  /** Ticks skipped while halted (the exchange is read every `haltedReadEveryMs` only). */
  readonly haltedSkips: number;
}

export class PositionController {
  private cancelTimer: (() => void) | null = null;
  private inFlight: Promise<void> | null = null;
  /** The tick requested by `tick()` callers while another ran; shared by all of them. */
  private followUp: Promise<void> | null = null;
  private stopped = true;
  private lastReadable = true;
  /** When the next scheduled tick is due (the grid start + k × intervalMs). */
  private nextDueAt = 0;
  /** Updated in place at every tick (no copy per tick); `stats()` hands out a copy. */
  private readonly stats_: { -readonly [K in keyof ControllerStats]: ControllerStats[K] } = {
    ticks: 0,
    failedTicks: 0,
    coalesced: 0,
    lastTickAt: null,
    lastTickMs: null,
    maxTickMs: 0,
    lastLagMs: 0,
    running: false,
    ownStateTicks: 0,
    haltedSkips: 0,
  };
  /** The last tick failure's text: a repeat is logged at debug level (one line per new problem). */
  private lastFailure: string | null = null;
  private lastHaltedReadAt = Number.NEGATIVE_INFINITY;
  private readonly log: Logger;

  constructor(
    private readonly deps: {
      trader: Trader;
      exchange: Exchange;
      clock: Clock;
      logger: Logger;
      intervalMs: number;
      /**
       * False while the exchange's positions cannot be read (the lanes block every lane but 0
       * after a 429/418): the tick then works from the engine's own state, so a close still
       * goes out on priority 0 instead of waiting for the block to end.
       */
      positionsReadable?: () => boolean;
      /** Error reactions drive it (halted: nothing but protection, the exchange read rarely). */
      tradingState?: TradingState;
      haltedReadEveryMs?: number;
    },
  ) {
    this.log = deps.logger.child('position-controller');
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stats_.running = true;
    this.nextDueAt = this.deps.clock.now();
    this.schedule(0);
  }

  /** Stops scheduling and waits for the tick in flight (and a requested follow-up). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.stats_.running = false;
    // Bounded: at most one tick in flight and one follow-up.
    for (let guard = 0; guard < 3 && (this.inFlight !== null || this.followUp !== null); guard++) {
      await (this.followUp ?? this.inFlight);
    }
  }

  stats(): ControllerStats {
    return { ...this.stats_ };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.deps.clock.setTimer(delayMs, () => {
      this.cancelTimer = null;
      void this.onTimer();
    });
  }

  /**
   * A scheduled tick. Ticks are due on a fixed grid; when one ran past the next due
   * times, those are coalesced into one catch-up tick (never overlapping), counted,
   * and the lag is logged; the grid then continues after the catch-up.
   */
  private async onTimer(): Promise<void> {
    const now = this.deps.clock.now();
    const lagMs = Math.max(0, now - this.nextDueAt);
    const missed = Math.floor(lagMs / this.deps.intervalMs);
    if (missed > 0) {
      this.stats_.coalesced += missed;
      this.log.warn('position loop lagging; ticks coalesced', { lagMs, coalesced: missed });
    }
    this.stats_.lastLagMs = lagMs;
    this.nextDueAt += (missed + 1) * this.deps.intervalMs;
    if (this.inFlight !== null) {
      // A tick asked for by hand is running: it serves this due time too.
      this.stats_.coalesced += 1;
      await this.inFlight;
    } else {
      await this.runTick();
    }
    this.schedule(Math.max(0, this.nextDueAt - this.deps.clock.now()));
  }

  /**
   * One evaluation now: exactly one positions request, then the Trader. Never overlaps
   * another: called while one runs, it runs one more right after it (shared by every
   * such caller), because the running one may have evaluated a position before the
   * caller's request (e.g. /close) was made.
   */
  tick(): Promise<void> {
    if (this.inFlight === null) return this.idleTickNow() ? NOTHING_TO_DO : this.runTick();
    this.followUp ??= this.inFlight.then(() => {
      this.followUp = null;
      return this.inFlight ?? this.runTick();
    });
    return this.followUp;
  }

  /**
   * A tick with nothing to do, finished synchronously on a venue read without requests (the
   * paper exchange; a replay ticks at every candle close): the Trader's `idleTick` sees the
   * same positions and open orders `evaluate` would read. Never while halted, unreadable, or
   * after a failed tick (`evaluate` handles those); counted as a tick.
   */
  private idleTickNow(): boolean {
    const { exchange, trader } = this.deps;
    if (exchange.positionsNow === undefined || exchange.openOrdersNow === undefined) return false;
    if (this.lastFailure !== null || !this.lastReadable || this.deps.tradingState?.isHalted() === true) return false;
    if (this.deps.positionsReadable?.() === false) return false;
    const now = this.deps.clock.now();
    if (!trader.idleTick(exchange.positionsNow(), (symbol) => exchange.openOrdersNow!(symbol))) return false;
    this.countTick(now, 0);
    return true;
  }

  /** A finished tick in the stats: started at `startedAt`, took `tookMs`. */
  private countTick(startedAt: number, tookMs: number): void {
    const stats = this.stats_;
    stats.ticks += 1;
    stats.lastTickAt = startedAt;
    stats.lastTickMs = tookMs;
    stats.maxTickMs = Math.max(stats.maxTickMs, tookMs);
  }

  private runTick(): Promise<void> {
    const run: Promise<void> = this.evaluate().finally(() => {
      if (this.inFlight === run) this.inFlight = null;
    });
    this.inFlight = run;
    return run;
  }

  private async evaluate(): Promise<void> {
    const started = this.deps.clock.now();
    if (this.deps.tradingState?.isHalted() === true) {
      // Halted: every request would fail the same way (revoked key). Read rarely; the
      // exchange-side stops protect the positions in between.
      const every = this.deps.haltedReadEveryMs ?? DEFAULT_HALTED_READ_EVERY_MS;
      if (started - this.lastHaltedReadAt < every) {
        this.stats_.haltedSkips += 1;
        return;
      }
      this.lastHaltedReadAt = started;
    }
    try {
      const readable = this.deps.positionsReadable?.() ?? true;
      if (readable !== this.lastReadable) {
        if (readable) this.log.warn('positions readable again: back to the exchange positions');
        else this.log.warn('positions cannot be read (rate-limit block): working from own position state and cached prices');
        this.lastReadable = readable;
      }
      if (readable) {
        const positions = await this.deps.exchange.fetchPositions(1);
        await this.deps.trader.controlTick(positions);
      } else {
        await this.deps.trader.controlTickFromOwnState();
        this.stats_.ownStateTicks += 1;
      }
      this.countTick(started, this.deps.clock.now() - started);
      if (this.lastFailure !== null) this.log.info('position tick succeeded again', { after: this.lastFailure });
      this.lastFailure = null;
    } catch (error) {
      this.stats_.failedTicks += 1;
      const text = describeError(error);
      const wasHalted = this.deps.tradingState?.isHalted() === true;
      this.deps.tradingState?.observe(error, 'position loop');
      if (!wasHalted && this.deps.tradingState?.isHalted() === true) this.lastHaltedReadAt = started;
      // One line per new problem: the same failure every 2 s would bury everything else.
      const level = text === this.lastFailure ? 'debug' : 'error';
      this.log[level]('position tick failed; positions stay protected by their exchange-side stops', { error: text });
      this.lastFailure = text;
    }
  }
}
