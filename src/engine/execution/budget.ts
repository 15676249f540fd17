/**
 * The request budget of Binance USDⓈ-M: 2400 request weight per minute per IP and
 * 300 orders / 10 s and 1200 orders / min per account. Binance counts both in fixed
 * calendar windows (X-MBX-USED-WEIGHT-1M resets at each UTC minute), so this does too.
 * Pure: time comes in as `now`.
 */

export interface BudgetLimits {
  /** IP request weight per calendar minute. */
  readonly weightPerMinute: number;
  readonly ordersPer10s: number;
  readonly ordersPerMinute: number;
  /**
   * Share of the weight budget each lane may fill (index = priority). Lane 0 ignores
   * it (never budgeted); the headroom above lane 1's share is kept for P0. Lanes 2-3
   * stop at 90 %: from 80 % the breaker already slows lane 3 and at 90 % sheds it.
   */
  readonly laneWeightCapPct: readonly [number, number, number, number];
  /** Share of the order limits lane 1 may fill; the rest is kept for P0 closes. */
  readonly orderCapPct: number;
}

export const BINANCE_USDM_LIMITS: BudgetLimits = Object.freeze<BudgetLimits>({
  weightPerMinute: 2400,
  ordersPer10s: 300,
  ordersPerMinute: 1200,
  laneWeightCapPct: [1, 0.95, 0.9, 0.9],
  orderCapPct: 0.95,
});

export const MINUTE_MS = 60_000;
export const TEN_SECONDS_MS = 10_000;

/** Why a request cannot go now, and when to look again. */
export type BudgetVerdict =
  { readonly ok: true } | { readonly ok: false; readonly resource: 'weight' | 'orders'; readonly retryAtMs: number };

export class RequestBudget {
  private minuteIndex = Number.NaN;
  private tenSecondIndex = Number.NaN;
  private usedWeight = 0;
  private orders10s = 0;
  private orders1m = 0;

  constructor(readonly limits: BudgetLimits) {}

  /** Weight used in the current calendar minute (local estimate, raised by headers). */
  usedWeight1m(now: number): number {
    this.roll(now);
    return this.usedWeight;
  }

  orderCount10s(now: number): number {
    this.roll(now);
    return this.orders10s;
  }

  orderCount1m(now: number): number {
    this.roll(now);
    return this.orders1m;
  }

  /** Whether a lane-`lane` request of this cost fits under that lane's share of the limits. */
  check(lane: 1 | 2 | 3, weight: number, orders: 0 | 1, now: number): BudgetVerdict {
    this.roll(now);
    const weightCap = this.limits.weightPerMinute * this.limits.laneWeightCapPct[lane];
    // A request heavier than the whole cap would never fit: let it go alone at the start of a minute.
    const fitsWeight = weight === 0 || this.usedWeight + weight <= weightCap || this.usedWeight === 0;
    if (!fitsWeight) return { ok: false, resource: 'weight', retryAtMs: nextBoundary(now, MINUTE_MS) };
    if (orders > 0) {
      if (this.orders10s + orders > this.limits.ordersPer10s * this.limits.orderCapPct) {
        return { ok: false, resource: 'orders', retryAtMs: nextBoundary(now, TEN_SECONDS_MS) };
      }
      if (this.orders1m + orders > this.limits.ordersPerMinute * this.limits.orderCapPct) {
        return { ok: false, resource: 'orders', retryAtMs: nextBoundary(now, MINUTE_MS) };
      }
    }
    return { ok: true };
  }

  /** Counts a request that is being sent (every lane, P0 included). */
  charge(weight: number, orders: 0 | 1, now: number): void {
    this.roll(now);
    this.usedWeight += weight;
    this.orders10s += orders;
    this.orders1m += orders;
  }

  /** Header sync: Binance's own count wins when it is higher (other processes on the IP, missed calls). */
  observe(counts: { usedWeight1m?: number; orders10s?: number; orders1m?: number }, now: number): void {
    this.roll(now);
    if (counts.usedWeight1m !== undefined) this.usedWeight = Math.max(this.usedWeight, counts.usedWeight1m);
    if (counts.orders10s !== undefined) this.orders10s = Math.max(this.orders10s, counts.orders10s);
    if (counts.orders1m !== undefined) this.orders1m = Math.max(this.orders1m, counts.orders1m);
  }

  private roll(now: number): void {
    const minute = Math.floor(now / MINUTE_MS);
    if (minute !== this.minuteIndex) {
      this.minuteIndex = minute;
      this.usedWeight = 0;
      this.orders1m = 0;
    }
    const tenSeconds = Math.floor(now / TEN_SECONDS_MS);
    if (tenSeconds !== this.tenSecondIndex) {
      this.tenSecondIndex = tenSeconds;
      this.orders10s = 0;
    }
  }
}

/** Start of the next fixed window of `windowMs` after `now`. */
export function nextBoundary(now: number, windowMs: number): number {
  return (Math.floor(now / windowMs) + 1) * windowMs;
}
