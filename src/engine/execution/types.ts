import type { Priority } from '../ports.js';
import type { Ticker } from '../types.js';

/**
 * One exchange request as the execution lanes see it. The adapter describes the
 * request (endpoint, weight, order count) and gives the function that sends it.
 */
export interface RequestSpec<T> {
  readonly priority: Priority;
  /** Binance path with method, e.g. `GET /fapi/v3/positionRisk`, `POST /fapi/v1/order`. */
  readonly endpoint: string;
  /** Binance IP request weight of this call (X-MBX-USED-WEIGHT-1M). */
  readonly weight: number;
  /** 1 for calls that count against the account's order limits (new order), else 0. */
  readonly orders: 0 | 1;
  /** Sends the request. Response headers, when known, feed the budget. */
  readonly run: () => Promise<T>;
}

/** Budget and breaker figures for /health and logs. */
export interface LaneStats {
  readonly priority: Priority;
  readonly queued: number;
  readonly inFlight: number;
  readonly sent: number;
  readonly dropped: number;
  readonly waitP50Ms: number;
  readonly waitP99Ms: number;
}

export type BreakerTier = 'ok' | 'warn' | 'throttle' | 'block';

export interface SchedulerStats {
  readonly lanes: readonly LaneStats[];
  readonly usedWeight1m: number;
  readonly weightLimit1m: number;
  readonly orders10s: number;
  readonly orders1m: number;
  readonly breaker: BreakerTier;
  readonly blockedUntil: number | null;
  readonly last429At: number | null;
  readonly last418At: number | null;
  /** Added by the lanes: what lane 3 may do now (throttle slows it, then sheds it). */
  readonly lane3Mode?: 'normal' | 'slow' | 'cache_or_drop';
  /** Ticker reads answered from the fresh 5 s cache without a request. */
  readonly tickerCacheHits?: number;
  /** Ticker reads answered with a stale cached value because the breaker shed lane 3. */
  readonly tickerStaleServed?: number;
}

/** A ticker read through the 5 s cache (`RequestScheduler.submitTicker`). */
export interface TickerRead {
  readonly ticker: Ticker;
  /** True when served from the cache (fresh or stale) without a request. */
  readonly fromCache: boolean;
  /** True when older than the cache TTL (served because the breaker shed lane 3). */
  readonly stale: boolean;
  readonly ageMs: number;
}

/** The single scheduler every exchange request goes through. */
export interface RequestScheduler {
  submit<T>(spec: RequestSpec<T>): Promise<T>;
  /** Sync the budget from Binance response headers (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S/1M). */
  observeHeaders(headers: Readonly<Record<string, string | undefined>>): void;
  /** A 429/418 was received: block every lane but 0 until `retryAfterMs` from now. */
  observeRateLimit(status: 429 | 418, retryAfterMs: number): void;
  stats(): SchedulerStats;
  /**
   * Added by the lanes (optional): a ticker read through the 5 s cache. A fresh cached
   * value is returned without a request; in throttle/block a stale one rather than nothing.
   */
  submitTicker?(symbol: string, spec: RequestSpec<Ticker>): Promise<TickerRead>;
}
