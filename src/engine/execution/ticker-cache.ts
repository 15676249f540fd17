/**
 * The 5 s ticker cache (BLUEPRINT "Rate limits": 5 s ticker cache). Lane-3 ticker reads
 * within the TTL are answered without a request; when the breaker sheds lane 3 an older
 * value is still returned, flagged stale, rather than nothing. Pure: `now` is passed in.
 */
import type { Ticker } from '../types.js';

export const TICKER_TTL_MS = 5_000;

export interface CachedTicker {
  readonly ticker: Ticker;
  /** When the value was stored (clock time, not the exchange timestamp). */
  readonly storedAt: number;
  readonly ageMs: number;
  /** True when older than the TTL. */
  readonly stale: boolean;
}

export class TickerCache {
  private readonly entries = new Map<string, { ticker: Ticker; storedAt: number }>();

  constructor(readonly ttlMs: number = TICKER_TTL_MS) {}

  /** The last ticker of `symbol` with its age, fresh or stale; null when never stored. */
  get(symbol: string, now: number): CachedTicker | null {
    const entry = this.entries.get(symbol);
    if (entry === undefined) return null;
    const ageMs = Math.max(0, now - entry.storedAt);
    return { ticker: entry.ticker, storedAt: entry.storedAt, ageMs, stale: ageMs >= this.ttlMs };
  }

  /** Fresh value only (younger than the TTL), else null. */
  getFresh(symbol: string, now: number): CachedTicker | null {
    const cached = this.get(symbol, now);
    return cached !== null && !cached.stale ? cached : null;
  }

  set(ticker: Ticker, now: number): void {
    this.entries.set(ticker.symbol, { ticker, storedAt: now });
  }

  get size(): number {
    return this.entries.size;
  }
}
