/**
 * Stop protection of open positions (issue 9, "A stop that disappears while the bot runs is
 * never put back" and "Two stops after a crash during stop placement").
 *
 * Attach before you place: before a stop is placed, the symbol's open orders (regular and
 * algo, one read on lane 2) are searched for the position's own stop (by its client id), then
 * for any reduce-only stop on the exit side; what is found is attached, extras of this bot
 * are cancelled, and a second stop is never placed. A missing stop is re-placed on lane 0; if
 * the mark is already through the stop level the position is closed on lane 0 instead. A stop
 * that cannot be placed leaves the position "unprotected" (status, log, alert) and is tried
 * again at the next check.
 */
import { clientOrderId, isOurClientOrderId } from '../client-order-id.js';
import type { ManagedPosition } from '../ports.js';
import { isOpenStatus, type OrderState } from '../types.js';
import { describeError } from '../../errors.js';
import { type TraderContext, exitSide, nextBackoffMs, safety, sideSign } from './context.js';
import { cancelQuietly, send, stopOrder } from './journal.js';

/** Positions known to be without their stop, and why. */
export function unprotected(ctx: TraderContext): Map<string, string> {
  return ctx.book.unprotected;
}

function isStopFor(order: OrderState, position: ManagedPosition): boolean {
  return (
    isOpenStatus(order.status) &&
    order.symbol === position.symbol &&
    order.reduceOnly &&
    order.type === 'stop_market' &&
    order.side === exitSide(position.side)
  );
}

export type StopCheck = 'protected' | 'attached' | 'replaced' | 'closing' | 'unprotected';

/**
 * Makes sure the position has exactly one reduce-only stop on the exchange, and its
 * take-profit (the same open-orders read: no extra weight). `mark` is the latest mark price
 * (null when unknown). Never throws for a refused order; a failed read throws (the caller
 * backs off for this symbol). A symbol with an order in flight is left for the next check
 * (the entry that just filled is placing its own stop and take-profit).
 */
export async function protectStop(ctx: TraderContext, position: ManagedPosition, mark: number | null): Promise<StopCheck> {
  if (position.exitClientOrderId !== null) return 'closing';
  if (sendingFor(ctx, position.symbol)) return 'protected';
  const orders = await ctx.deps.exchange.fetchOpenOrders(position.symbol);
  const check = await checkStop(ctx, position, orders, mark);
  if (check !== 'closing') await protectTakeProfit(ctx, position.symbol, orders);
  return check;
}

function sendingFor(ctx: TraderContext, symbol: string): boolean {
  for (const id of ctx.book.sending) if (ctx.book.pending.get(id)?.request.symbol === symbol) return true;
  return false;
}

async function checkStop(
  ctx: TraderContext,
  position: ManagedPosition,
  orders: readonly OrderState[],
  mark: number | null,
): Promise<StopCheck> {
  const { symbol } = position;
  const stops = orders.filter((o) => isStopFor(o, position));
  const own = stops.find((o) => o.clientOrderId === position.slClientOrderId);
  const keep = own ?? stops[0];
  // Extras of this bot (a crash while a stop was in flight): cancelled, one stop stays.
  for (const extra of stops)
    if (extra !== keep && isOurClientOrderId(extra.clientOrderId)) await cancelQuietly(ctx, symbol, extra.clientOrderId);
  const current = ctx.book.positions.get(symbol) ?? position;
  if (keep !== undefined) {
    unprotected(ctx).delete(symbol);
    if (keep.clientOrderId === current.slClientOrderId) return 'protected';
    ctx.book.positions.set(symbol, { ...current, slClientOrderId: keep.clientOrderId, slPrice: keep.stopPrice ?? current.slPrice });
    ctx.log.warn('attached the stop found on the exchange (none placed)', {
      symbol,
      clientOrderId: keep.clientOrderId,
      stopPrice: keep.stopPrice,
    });
    await ctx.deps.persist(`stop attached ${symbol}`);
    return 'attached';
  }
  // No stop on the exchange. Already through its level: get out now, on lane 0.
  if (mark !== null && sideSign(current.side) * (mark - current.slPrice) <= 0) {
    safety(
      ctx,
      'stop_missing_closing',
      symbol,
      `stop of ${symbol} is missing and the mark ${mark} is through its level ${current.slPrice}; closing the position`,
    );
    ctx.book.exitRequests.set(symbol, 'sl');
    return 'closing';
  }
  return placeStop(ctx, current);
}

async function placeStop(ctx: TraderContext, current: ManagedPosition): Promise<StopCheck> {
  const { symbol } = current;
  const id = clientOrderId('sl', symbol, ctx.deps.clock.now());
  const placed = await send(ctx, {
    request: stopOrder(symbol, exitSide(current.side), current.size, current.slPrice, id),
    purpose: 'sl',
    priority: 0,
  });
  const after = ctx.book.positions.get(symbol) ?? current;
  if (placed !== null) {
    ctx.book.positions.set(symbol, { ...after, slClientOrderId: id });
    unprotected(ctx).delete(symbol);
    safety(ctx, 'stop_replaced', symbol, `stop of ${symbol} was missing; re-placed at ${current.slPrice}`);
    await ctx.deps.persist(`stop re-placed ${symbol}`);
    return 'replaced';
  }
  ctx.book.positions.set(symbol, { ...after, slClientOrderId: null });
  unprotected(ctx).set(symbol, `stop at ${current.slPrice} refused; tried again at the next check`);
  safety(
    ctx,
    'unprotected',
    symbol,
    `position ${symbol} is UNPROTECTED: its stop at ${current.slPrice} could not be re-placed; trying again at the next check (closed if the mark is through it)`,
  );
  return 'unprotected';
}

function isTakeProfitFor(order: OrderState, position: ManagedPosition): boolean {
  return (
    isOpenStatus(order.status) &&
    order.symbol === position.symbol &&
    order.reduceOnly &&
    order.type === 'limit' &&
    order.side === exitSide(position.side)
  );
}

/**
 * The take-profit (a reduce-only limit GTC, a regular order) as the stop: attach before you
 * place (the position's own client id, then any reduce-only limit on the exit side), extras
 * of this bot cancelled, a missing one placed again at the position's TP price.
 */
async function protectTakeProfit(ctx: TraderContext, symbol: string, orders: readonly OrderState[]): Promise<void> {
  const current = ctx.book.positions.get(symbol);
  if (current === undefined || current.exitClientOrderId !== null) return;
  const tps = orders.filter((o) => isTakeProfitFor(o, current));
  const keep = tps.find((o) => o.clientOrderId === current.tpClientOrderId) ?? tps[0];
  for (const extra of tps)
    if (extra !== keep && isOurClientOrderId(extra.clientOrderId)) await cancelQuietly(ctx, symbol, extra.clientOrderId);
  if (keep !== undefined) {
    if (keep.clientOrderId === current.tpClientOrderId) return;
    ctx.book.positions.set(symbol, { ...current, tpClientOrderId: keep.clientOrderId, tpPrice: keep.price ?? current.tpPrice });
    ctx.log.warn('attached the take-profit found on the exchange (none placed)', { symbol, clientOrderId: keep.clientOrderId });
    await ctx.deps.persist(`take-profit attached ${symbol}`);
    return;
  }
  const retries = ctx.book.takeProfitRetry;
  const now = ctx.deps.clock.now();
  const retry = retries.get(symbol);
  if (retry !== undefined && now < retry.until) return;
  const id = clientOrderId('tp', symbol, now);
  const placed = await send(ctx, {
    request: {
      symbol,
      side: exitSide(current.side),
      type: 'limit',
      quantity: current.size,
      price: current.tpPrice,
      reduceOnly: true,
      clientOrderId: id,
    },
    purpose: 'tp',
    priority: 0,
  });
  const after = ctx.book.positions.get(symbol) ?? current;
  if (placed === null) {
    const delayMs = nextBackoffMs(retry);
    retries.set(symbol, { until: now + delayMs, delayMs });
    ctx.log.warn(`take-profit of ${symbol} at ${current.tpPrice} could not be placed; tried again in ${delayMs} ms`, { symbol });
    return;
  }
  retries.delete(symbol);
  ctx.book.positions.set(symbol, { ...after, tpClientOrderId: id });
  safety(ctx, 'tp_replaced', symbol, `take-profit of ${symbol} was missing; placed at ${current.tpPrice}`);
  await ctx.deps.persist(`take-profit re-placed ${symbol}`);
}

/**
 * True when `protectStop` would find nothing to do on these open orders: the position is
 * not marked unprotected and its own stop and its own take-profit are the only ones on the
 * exit side (no extra to cancel, nothing to attach or place). Mirrors `checkStop` and
 * `protectTakeProfit`; anything else is left to them.
 */
export function protectionInPlace(ctx: TraderContext, position: ManagedPosition, orders: readonly OrderState[]): boolean {
  if (ctx.book.unprotected.has(position.symbol)) return false;
  let stops = 0;
  let ownStop = false;
  let takeProfits = 0;
  let ownTakeProfit = false;
  for (const order of orders) {
    if (isStopFor(order, position)) {
      stops++;
      if (order.clientOrderId === position.slClientOrderId) ownStop = true;
    } else if (isTakeProfitFor(order, position)) {
      takeProfits++;
      if (order.clientOrderId === position.tpClientOrderId) ownTakeProfit = true;
    }
  }
  return stops === 1 && ownStop && takeProfits === 1 && ownTakeProfit;
}

/** protectStop, with a failed read logged instead of thrown (reconciliation, settlement). */
export async function protectStopQuietly(ctx: TraderContext, position: ManagedPosition, mark: number | null): Promise<StopCheck | null> {
  try {
    return await protectStop(ctx, position, mark);
  } catch (error) {
    ctx.log.warn('stop check failed; tried again at the next tick', { symbol: position.symbol, error: describeError(error) });
    return null;
  }
}
