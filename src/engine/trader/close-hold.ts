/**
 * A close refused by a rate limit (issue 9: "during a 418 IP ban closes are re-sent every
 * 2 s, which on Binance extends the ban"). A priority-0 close is tried once; after a 418
 * (or 429) refusal it is tried again only when the ban lifts (its Retry-After has passed) or
 * the price has moved materially since that try: by at least `MATERIAL_MOVE_OF_STOP_DISTANCE`
 * of the position's stop distance (|entry − stop|). The exchange-side stop protects the
 * position in between. The exit stays requested, so nothing is lost.
 */
import { RateLimitedError, describeError } from '../../errors.js';
import type { ManagedPosition } from '../ports.js';
import { type TraderContext, safety } from './context.js';

/** A held close goes out again once the price moved this share of the stop distance since its last try. */
export const MATERIAL_MOVE_OF_STOP_DISTANCE = 0.5;

/** True when this close must wait (a ban still on and no material move); the hold is released otherwise. */
export function closeHeld(ctx: TraderContext, position: ManagedPosition): boolean {
  const map = ctx.book.closeHolds;
  const hold = map.get(position.symbol);
  if (hold === undefined) return false;
  const last = ctx.book.lastPrice.get(position.symbol);
  const stopDistance = Math.abs(position.entryPrice - position.slPrice) || position.entryPrice * 0.005;
  const threshold = MATERIAL_MOVE_OF_STOP_DISTANCE * stopDistance;
  const moved = (now: number | undefined, then: number | null): boolean =>
    now !== undefined && then !== null && Math.abs(now - then) >= threshold;
  const banOver = ctx.deps.clock.now() >= hold.until;
  if (!banOver && !moved(last?.price, hold.price) && !moved(last?.mark, hold.mark)) {
    ctx.log.debug('close held until the ban lifts or the price moves; the exchange stop protects meanwhile', { symbol: position.symbol });
    return true;
  }
  map.delete(position.symbol);
  ctx.log.info(`close of ${position.symbol} tried again: ${banOver ? 'the ban has lifted' : 'the price moved materially'}`);
  return false;
}

/** After a refused close: a rate-limit refusal holds the next try (see above). */
export function holdAfterRefusal(ctx: TraderContext, position: ManagedPosition, refusal: unknown): void {
  if (!(refusal instanceof RateLimitedError)) return;
  const last = ctx.book.lastPrice.get(position.symbol);
  const until = ctx.deps.clock.now() + Math.max(0, refusal.retryAfterMs);
  ctx.book.closeHolds.set(position.symbol, { until, price: last?.price ?? null, mark: last?.mark ?? null });
  safety(
    ctx,
    'close_held',
    position.symbol,
    `close of ${position.symbol} refused by a rate limit (${describeError(refusal)}); tried again when the ban lifts in ${Math.round(refusal.retryAfterMs / 1000)} s or the price moves by half the stop distance; the exchange stop protects meanwhile`,
  );
}
