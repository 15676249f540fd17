/**
 * Tiered rate-limit breaker (BLUEPRINT "Rate limits": warn / throttle / block).
 * A pure state machine: it is fed the used weight, the limit and 429/418 events, with
 * `now` passed in, and says what each lane may do. The scheduler logs its transitions.
 *
 *   ok → warn      used ≥ warnPct of the budget (visible in stats and logs)
 *   warn → throttle used ≥ throttlePct: lane 3 at most one request per lane3IntervalMs;
 *                  at ≥ dropPct lane-3 requests are answered from cache or dropped
 *   any → block    429 / 418: lanes 1-3 held until Retry-After (lane 3 drops); P0 still sent
 */
import type { BreakerTier } from './types.js';

export interface BreakerThresholds {
  readonly warnPct: number;
  readonly throttlePct: number;
  /** In throttle, from this share on lane 3 is served from cache or dropped. */
  readonly dropPct: number;
  /** In throttle, lane 3 sends at most one request per this many ms. */
  readonly lane3IntervalMs: number;
  /** Shortest block after a 429 when Retry-After is missing or smaller. */
  readonly min429BlockMs: number;
  /** Shortest block after a 418 (IP ban: Binance bans for 2 min and up). */
  readonly min418BlockMs: number;
}

export const DEFAULT_BREAKER_THRESHOLDS: BreakerThresholds = Object.freeze({
  warnPct: 0.6,
  throttlePct: 0.8,
  dropPct: 0.9,
  lane3IntervalMs: 1_000,
  min429BlockMs: 1_000,
  min418BlockMs: 120_000,
});

/** What lane 3 may do right now. */
export type Lane3Mode = 'normal' | 'slow' | 'cache_or_drop';

export interface BreakerTransition {
  readonly from: BreakerTier;
  readonly to: BreakerTier;
  readonly usedWeight: number;
  readonly reason: string;
}

export class RateLimitBreaker {
  private currentTier: BreakerTier = 'ok';
  private blockedUntilMs: number | null = null;
  private blockStatus: 429 | 418 | null = null;
  private last429: number | null = null;
  private last418: number | null = null;
  private usedPct = 0;

  constructor(readonly thresholds: BreakerThresholds = DEFAULT_BREAKER_THRESHOLDS) {
    if (!(thresholds.warnPct <= thresholds.throttlePct && thresholds.throttlePct <= thresholds.dropPct)) {
      throw new RangeError(
        `Breaker thresholds must rise: warnPct ${thresholds.warnPct} ≤ throttlePct ${thresholds.throttlePct} ≤ dropPct ${thresholds.dropPct}`,
      );
    }
  }

  get tier(): BreakerTier {
    return this.currentTier;
  }

  /** When the current block ends, or null when not blocked. */
  get blockedUntil(): number | null {
    return this.blockedUntilMs;
  }

  get last429At(): number | null {
    return this.last429;
  }

  get last418At(): number | null {
    return this.last418;
  }

  /** A 429 or 418 arrived: block lanes 1-3 until Retry-After (418 at least min418BlockMs). */
  onRateLimit(status: 429 | 418, retryAfterMs: number, usedWeight: number, limit: number, now: number): BreakerTransition | null {
    const minMs = status === 418 ? this.thresholds.min418BlockMs : this.thresholds.min429BlockMs;
    const retryMs = Number.isFinite(retryAfterMs) ? Math.max(retryAfterMs, minMs) : minMs;
    const until = now + retryMs;
    // A later or stronger event extends the block; a shorter one never shortens it.
    if (this.blockedUntilMs === null || until > this.blockedUntilMs) this.blockedUntilMs = until;
    if (status === 418) {
      this.last418 = now;
      this.blockStatus = 418;
    } else {
      this.last429 = now;
      if (this.blockStatus !== 418) this.blockStatus = 429;
    }
    return this.update(usedWeight, limit, now, `${status} received, Retry-After ${retryMs} ms`);
  }

  /** Re-evaluates the tier from the used weight; returns the transition when the tier changed. */
  update(usedWeight: number, limit: number, now: number, reason?: string): BreakerTransition | null {
    this.usedPct = limit > 0 ? usedWeight / limit : 1;
    const statusBefore = this.blockStatus;
    if (this.blockedUntilMs !== null && now >= this.blockedUntilMs) {
      this.blockedUntilMs = null;
      this.blockStatus = null;
    }
    const t = this.thresholds;
    const next: BreakerTier =
      this.blockedUntilMs !== null ? 'block' : this.usedPct >= t.throttlePct ? 'throttle' : this.usedPct >= t.warnPct ? 'warn' : 'ok';
    if (next === this.currentTier) return null;
    const from = this.currentTier;
    this.currentTier = next;
    return {
      from,
      to: next,
      usedWeight,
      reason: reason ?? describeUsage(next, this.usedPct, from, statusBefore),
    };
  }

  /** Lanes 1-3 may send only outside a block; P0 always may. */
  laneOpen(lane: 0 | 1 | 2 | 3): boolean {
    return lane === 0 || this.currentTier !== 'block';
  }

  lane3Mode(): Lane3Mode {
    if (this.currentTier === 'block') return 'cache_or_drop';
    if (this.currentTier !== 'throttle') return 'normal';
    return this.usedPct >= this.thresholds.dropPct ? 'cache_or_drop' : 'slow';
  }
}

function describeUsage(tier: BreakerTier, usedPct: number, from: BreakerTier, status: 429 | 418 | null): string {
  const pct = `${Math.round(usedPct * 1000) / 10} % of the weight budget used`;
  if (from === 'block') return `block ended (${status ?? 'Retry-After'} elapsed), ${pct}`;
  if (tier === 'ok') return `${pct}, below the warn threshold`;
  return pct;
}
