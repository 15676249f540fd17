/**
 * The execution lanes (ARCHITECTURE "Execution lanes"): one scheduler for every exchange
 * request, four priorities, one request budget, one tiered breaker, one ticker cache.
 *
 * - P0 (close, reduce, emergency stop, cancel) is dispatched inside `submit`, before it
 *   returns: no timer hop, no queue, no budget or breaker check (it is counted though).
 *   Nothing on that path depends on how many requests the other lanes hold.
 * - Lanes 1-3 are FIFO ring queues with strict priority between them; a request goes when
 *   its lane's share of the weight/order budget allows, else at the next window boundary
 *   (Clock timer). The breaker slows, sheds (lane 3) or holds (block) them.
 */
import { BreakerOpenError } from '../../errors.js';
import type { Clock, Logger, Priority } from '../ports.js';
import type { Ticker } from '../types.js';
import { BINANCE_USDM_LIMITS, MINUTE_MS, RequestBudget, nextBoundary, type BudgetLimits } from './budget.js';
import { DEFAULT_BREAKER_THRESHOLDS, RateLimitBreaker, type BreakerThresholds, type BreakerTransition } from './breaker.js';
import { RingQueue } from './ring-queue.js';
import { TICKER_TTL_MS, TickerCache, type CachedTicker } from './ticker-cache.js';
import type { LaneStats, RequestScheduler, RequestSpec, SchedulerStats, TickerRead } from './types.js';

export interface LaneSchedulerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits?: Partial<BudgetLimits>;
  readonly breaker?: Partial<BreakerThresholds>;
  /** Requests in flight at once per lane 1-3 (P0 is never bounded). Default 4 each. */
  readonly maxInFlight?: Partial<Record<1 | 2 | 3, number>>;
  readonly tickerTtlMs?: number;
}

interface Pending {
  readonly spec: RequestSpec<unknown>;
  readonly enqueuedAt: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Answer to give instead of an error when the breaker sheds this request (stale ticker), or null. */
  readonly fallback: (() => unknown) | null;
}

const QUEUED_LANES = [1, 2, 3] as const;
const WAIT_WINDOW = 512;
const DEFAULT_MAX_IN_FLIGHT = 4;
/** Re-entrant pump passes (a run() that submits synchronously); bounds the loop. */
const MAX_PUMP_PASSES = 8;

/** Recent queue waits of one lane, for p50/p99 without keeping history. */
class WaitWindow {
  private readonly samples = new Float64Array(WAIT_WINDOW);
  private next = 0;
  private filled = 0;

  add(waitMs: number): void {
    this.samples[this.next] = waitMs;
    this.next = (this.next + 1) % WAIT_WINDOW;
    if (this.filled < WAIT_WINDOW) this.filled++;
  }

  percentile(p: number): number {
    if (this.filled === 0) return 0;
    const sorted = this.samples.slice(0, this.filled).sort();
    const index = Math.min(this.filled - 1, Math.max(0, Math.ceil((p / 100) * this.filled) - 1));
    return sorted[index] ?? 0;
  }
}

class Lane {
  readonly queue = new RingQueue<Pending>(64);
  readonly waits = new WaitWindow();
  inFlight = 0;
  sent = 0;
  dropped = 0;
  constructor(
    readonly priority: Priority,
    readonly maxInFlight: number,
  ) {}
}

export class LaneScheduler implements RequestScheduler {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly budget: RequestBudget;
  private readonly breaker: RateLimitBreaker;
  private readonly cache: TickerCache;
  private readonly lanes: readonly [Lane, Lane, Lane, Lane];
  private readonly tickerInFlight = new Map<string, Promise<TickerRead>>();
  private lastLane3SentAt: number | null = null;
  private wakeAt: number | null = null;
  private cancelWake: (() => void) | null = null;
  private pumping = false;
  private pumpAgain = false;
  private tickerCacheHits = 0;
  private tickerStaleServed = 0;

  /** Told of every breaker tier change (the alerts raise one on block); set by the composition root. */
  onBreakerTransition: ((transition: BreakerTransition, blockedUntil: number | null) => void) | null = null;

  constructor(options: LaneSchedulerOptions) {
    this.clock = options.clock;
    this.log = options.logger.child('lanes');
    const limits: BudgetLimits = { ...BINANCE_USDM_LIMITS, ...stripUndefined(options.limits) };
    this.budget = new RequestBudget(limits);
    this.breaker = new RateLimitBreaker({ ...DEFAULT_BREAKER_THRESHOLDS, ...stripUndefined(options.breaker) });
    this.cache = new TickerCache(options.tickerTtlMs ?? TICKER_TTL_MS);
    const bound = (lane: 1 | 2 | 3): number => options.maxInFlight?.[lane] ?? DEFAULT_MAX_IN_FLIGHT;
    this.lanes = [new Lane(0, Number.POSITIVE_INFINITY), new Lane(1, bound(1)), new Lane(2, bound(2)), new Lane(3, bound(3))];
  }

  submit<T>(spec: RequestSpec<T>): Promise<T> {
    const invalid = validateSpec(spec);
    if (invalid !== null) return Promise.reject(new RangeError(invalid));
    if (spec.priority === 0) return this.dispatchP0(spec);
    return this.enqueue(spec, null);
  }

  /**
   * A ticker read through the 5 s cache: a fresh value costs no request; when the breaker
   * sheds lane 3 (throttle or block) a stale value is returned, flagged, rather than nothing.
   * Concurrent reads of one symbol share one request.
   */
  submitTicker(symbol: string, spec: RequestSpec<Ticker>): Promise<TickerRead> {
    const invalid = validateSpec(spec);
    if (invalid !== null) return Promise.reject(new RangeError(invalid));
    const now = this.clock.now();
    const fresh = this.cache.getFresh(symbol, now);
    if (fresh !== null) {
      this.tickerCacheHits++;
      return Promise.resolve(toRead(fresh));
    }
    this.evaluate(now);
    const tier = this.breaker.tier;
    const cached = this.cache.get(symbol, now);
    if (spec.priority === 3 && cached !== null && (tier === 'throttle' || tier === 'block')) {
      this.tickerStaleServed++;
      return Promise.resolve(toRead(cached));
    }
    const shared = this.tickerInFlight.get(symbol);
    if (shared !== undefined) return shared;

    const fetchAndStore = async (): Promise<TickerRead> => {
      const ticker = await spec.run();
      this.cache.set(ticker, this.clock.now());
      return { ticker, fromCache: false, stale: false, ageMs: 0 };
    };
    const fallback = (): TickerRead | null => {
      const last = this.cache.get(symbol, this.clock.now());
      if (last === null) return null;
      this.tickerStaleServed++;
      return toRead(last);
    };
    const wrapped: RequestSpec<TickerRead> = { ...spec, run: fetchAndStore };
    const read = spec.priority === 0 ? this.dispatchP0(wrapped) : this.enqueue(wrapped, fallback);
    this.tickerInFlight.set(symbol, read);
    const clear = (): void => {
      if (this.tickerInFlight.get(symbol) === read) this.tickerInFlight.delete(symbol);
    };
    read.then(clear, clear);
    return read;
  }

  /** The last cached ticker of a symbol, fresh or stale (the controller's view while blocked). */
  cachedTicker(symbol: string): CachedTicker | null {
    return this.cache.get(symbol, this.clock.now());
  }

  observeHeaders(headers: Readonly<Record<string, string | undefined>>): void {
    let usedWeight1m: number | undefined;
    let orders10s: number | undefined;
    let orders1m: number | undefined;
    for (const [name, raw] of Object.entries(headers)) {
      if (raw === undefined) continue;
      const key = name.toLowerCase();
      if (key === 'x-mbx-used-weight-1m') usedWeight1m = parseCount(raw);
      else if (key === 'x-mbx-order-count-10s') orders10s = parseCount(raw);
      else if (key === 'x-mbx-order-count-1m') orders1m = parseCount(raw);
    }
    const counts: { usedWeight1m?: number; orders10s?: number; orders1m?: number } = {};
    if (usedWeight1m !== undefined) counts.usedWeight1m = usedWeight1m;
    if (orders10s !== undefined) counts.orders10s = orders10s;
    if (orders1m !== undefined) counts.orders1m = orders1m;
    const now = this.clock.now();
    this.budget.observe(counts, now);
    this.evaluate(now);
  }

  observeRateLimit(status: 429 | 418, retryAfterMs: number): void {
    const now = this.clock.now();
    const usedWeight = this.budget.usedWeight1m(now);
    const transition = this.breaker.onRateLimit(status, retryAfterMs, usedWeight, this.budget.limits.weightPerMinute, now);
    if (transition !== null) this.logTransition(transition);
    else {
      this.log.warn('rate limit received while already blocked', {
        status,
        retryAfterMs,
        blockedUntil: this.breaker.blockedUntil,
        usedWeight,
      });
    }
    const until = this.breaker.blockedUntil;
    if (until !== null) this.scheduleWake(until);
  }

  stats(): SchedulerStats {
    const now = this.clock.now();
    this.evaluate(now);
    const lanes: LaneStats[] = this.lanes.map((lane) => ({
      priority: lane.priority,
      queued: lane.queue.size,
      inFlight: lane.inFlight,
      sent: lane.sent,
      dropped: lane.dropped,
      waitP50Ms: lane.waits.percentile(50),
      waitP99Ms: lane.waits.percentile(99),
    }));
    return {
      lanes,
      usedWeight1m: this.budget.usedWeight1m(now),
      weightLimit1m: this.budget.limits.weightPerMinute,
      orders10s: this.budget.orderCount10s(now),
      orders1m: this.budget.orderCount1m(now),
      breaker: this.breaker.tier,
      blockedUntil: this.breaker.blockedUntil,
      last429At: this.breaker.last429At,
      last418At: this.breaker.last418At,
      lane3Mode: this.breaker.lane3Mode(),
      tickerCacheHits: this.tickerCacheHits,
      tickerStaleServed: this.tickerStaleServed,
    };
  }

  /** Cancels the wake-up timer and refuses every queued request (shutdown). */
  stop(reason = 'scheduler stopped'): void {
    this.cancelWake?.();
    this.cancelWake = null;
    this.wakeAt = null;
    for (const lane of this.lanes) {
      for (let entry = lane.queue.shift(); entry !== undefined; entry = lane.queue.shift()) {
        lane.dropped++;
        entry.reject(new BreakerOpenError(`${entry.spec.endpoint} not sent: ${reason}`));
      }
    }
  }

  // ---- P0 ---------------------------------------------------------------------------

  /** Position safety: sent now, whatever the queues, budget or breaker say. O(1). */
  private dispatchP0<T>(spec: RequestSpec<T>): Promise<T> {
    const lane = this.lanes[0];
    const now = this.clock.now();
    this.budget.charge(spec.weight, spec.orders, now);
    lane.sent++;
    lane.inFlight++;
    lane.waits.add(0);
    const result = invoke(spec.run);
    const done = (): void => {
      lane.inFlight--;
    };
    result.then(done, done);
    if (spec.weight > 0) this.evaluate(now);
    return result;
  }

  // ---- lanes 1-3 --------------------------------------------------------------------

  private enqueue<T>(spec: RequestSpec<T>, fallback: (() => T | null) | null): Promise<T> {
    const now = this.clock.now();
    const lane = this.lanes[spec.priority];
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        spec,
        enqueuedAt: now,
        resolve: resolve as (value: unknown) => void,
        reject,
        fallback,
      };
      if (spec.priority === 3) {
        this.evaluate(now);
        if (this.breaker.lane3Mode() === 'cache_or_drop') {
          this.shed(lane, entry);
          return;
        }
      }
      lane.queue.push(entry);
      this.pump();
    });
  }

  /** Dispatches what the budget, breaker and concurrency bounds allow, in priority order. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      for (let pass = 0; pass < MAX_PUMP_PASSES; pass++) {
        this.pumpAgain = false;
        this.pumpOnce();
        if (!this.pumpAgain) break;
      }
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    const now = this.clock.now();
    this.evaluate(now);
    if (this.breaker.tier === 'block') {
      const until = this.breaker.blockedUntil;
      if (until !== null && this.hasQueued()) this.scheduleWake(until);
      return;
    }
    for (const priority of QUEUED_LANES) {
      const lane = this.lanes[priority];
      // Bounded by the queue length: every iteration dispatches, sheds or breaks.
      while (lane.queue.size > 0 && lane.inFlight < lane.maxInFlight) {
        const head = lane.queue.peek() as Pending;
        if (priority === 3) {
          const mode = this.breaker.lane3Mode();
          if (mode === 'cache_or_drop') {
            lane.queue.shift();
            this.shed(lane, head);
            continue;
          }
          if (mode === 'slow' && this.lastLane3SentAt !== null) {
            const nextAt = this.lastLane3SentAt + this.breaker.thresholds.lane3IntervalMs;
            if (now < nextAt) {
              this.scheduleWake(nextAt);
              break;
            }
          }
        }
        const verdict = this.budget.check(priority, head.spec.weight, head.spec.orders, now);
        if (!verdict.ok) {
          this.scheduleWake(verdict.retryAtMs);
          // Strict priority: a lane waiting for weight holds the lanes below it; waiting
          // for the order budget (which reads do not use) does not.
          if (verdict.resource === 'weight') return;
          break;
        }
        lane.queue.shift();
        this.dispatch(lane, head, now);
        this.evaluate(now);
        if (!this.breaker.laneOpen(priority)) return;
      }
    }
  }

  private dispatch(lane: Lane, entry: Pending, now: number): void {
    this.budget.charge(entry.spec.weight, entry.spec.orders, now);
    lane.sent++;
    lane.inFlight++;
    lane.waits.add(now - entry.enqueuedAt);
    if (lane.priority === 3) this.lastLane3SentAt = now;
    invoke(entry.spec.run).then(
      (value) => {
        lane.inFlight--;
        entry.resolve(value);
        this.pump();
      },
      (error: unknown) => {
        lane.inFlight--;
        entry.reject(error);
        this.pump();
      },
    );
  }

  /** The breaker refused a lane-3 request: answer from cache when possible, else BreakerOpenError. */
  private shed(lane: Lane, entry: Pending): void {
    lane.dropped++;
    const answer = entry.fallback?.() ?? null;
    if (answer !== null) {
      entry.resolve(answer);
      return;
    }
    entry.reject(
      new BreakerOpenError(
        `${entry.spec.endpoint} dropped: lane 3 is shed while the breaker is ${this.breaker.tier} ` +
          `(${this.budget.usedWeight1m(this.clock.now())}/${this.budget.limits.weightPerMinute} weight used)`,
      ),
    );
  }

  private hasQueued(): boolean {
    return this.lanes[1].queue.size + this.lanes[2].queue.size + this.lanes[3].queue.size > 0;
  }

  // ---- breaker and timers -------------------------------------------------------------

  private evaluate(now: number): void {
    const usedWeight = this.budget.usedWeight1m(now);
    const transition = this.breaker.update(usedWeight, this.budget.limits.weightPerMinute, now);
    if (transition !== null) this.logTransition(transition);
    // Look again when the minute rolls so that recovery is noticed (and logged) on time.
    const tier = this.breaker.tier;
    if (tier === 'warn' || tier === 'throttle') this.scheduleWake(nextBoundary(now, MINUTE_MS));
  }

  private logTransition(transition: BreakerTransition): void {
    try {
      this.onBreakerTransition?.(transition, this.breaker.blockedUntil);
    } catch {
      // A listener must never break the lanes.
    }
    this.log.warn(`breaker ${transition.from} -> ${transition.to}`, {
      tier: transition.to,
      previousTier: transition.from,
      usedWeight: transition.usedWeight,
      weightLimit: this.budget.limits.weightPerMinute,
      blockedUntil: this.breaker.blockedUntil,
      reason: transition.reason,
    });
  }

  /** One pending timer: the earliest moment something may become sendable. */
  private scheduleWake(atMs: number): void {
    const now = this.clock.now();
    if (this.wakeAt !== null && this.wakeAt <= atMs && this.wakeAt >= now) return;
    this.cancelWake?.();
    this.wakeAt = atMs;
    this.cancelWake = this.clock.setTimer(Math.max(0, atMs - now), () => {
      this.wakeAt = null;
      this.cancelWake = null;
      this.pump();
    });
  }
}

/** Calls `run`, turning a synchronous throw into a rejected promise. */
function invoke<T>(run: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on whatever `run` threw, unchanged
    return Promise.reject(error);
  }
}

function validateSpec(spec: RequestSpec<unknown>): string | null {
  const p = spec.priority;
  if (p !== 0 && p !== 1 && p !== 2 && p !== 3) return `${spec.endpoint}: priority must be 0-3, got ${String(spec.priority)}`;
  if (!Number.isFinite(spec.weight) || spec.weight < 0) return `${spec.endpoint}: weight must be ≥ 0, got ${spec.weight}`;
  if (spec.orders !== 0 && spec.orders !== 1) return `${spec.endpoint}: orders must be 0 or 1, got ${String(spec.orders)}`;
  return null;
}

function parseCount(raw: string): number | undefined {
  const value = Number.parseInt(raw.trim(), 10);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function toRead(cached: CachedTicker): TickerRead {
  return { ticker: cached.ticker, fromCache: true, stale: cached.stale, ageMs: cached.ageMs };
}

function stripUndefined<T extends object>(partial: Partial<T> | undefined): Partial<T> {
  if (partial === undefined) return {};
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<T>;
}
