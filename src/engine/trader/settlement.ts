/**
 * Settling the order journal by client order id (STYLE.md §5): entries that filled become
 * managed positions, entries that never reached the exchange or ended unfilled are
 * dropped, and protection or close orders of unknown outcome are found or forgotten.
 */
import { describeError } from '../../errors.js';
import type { ManagedPosition, PendingOrder } from '../ports.js';
import { isOpenStatus, type ExchangePosition, type OrderState } from '../types.js';
import { type TraderContext, warn } from './context.js';
import { cancelQuietly } from './journal.js';
import { ensureStop, openManaged } from './protection.js';

/**
 * An entry whose reply says it filled becomes a managed position at once, its stop and
 * take-profit placed in the same breath (issue 9: no tick without a stop after a fill).
 * Binance may answer a market order before it has matched (status NEW): it is read once more
 * straight away. Not filled even then (or settled meanwhile by a tick): left to the
 * controller's settlement.
 */
export async function openIfFilled(ctx: TraderContext, reply: OrderState): Promise<void> {
  const id = reply.clientOrderId;
  let order = reply;
  if (!isFilled(order) && isOpenStatus(order.status)) {
    try {
      order = (await ctx.deps.exchange.fetchOrder(order.symbol, id)) ?? order;
    } catch (error) {
      ctx.log.debug('entry read after its reply failed; the next tick settles it', { clientOrderId: id, error: describeError(error) });
      return;
    }
  }
  const pendingOrder = ctx.book.pending.get(id);
  if (pendingOrder?.purpose !== 'entry' || pendingOrder.draft === null || !isFilled(order)) return;
  ctx.book.pending.delete(id);
  await openManaged(ctx, pendingOrder.draft, order, null);
}

function isFilled(order: OrderState): boolean {
  return order.status === 'filled' && order.averagePrice !== null && order.filledQuantity > 0;
}

export async function settleEntries(ctx: TraderContext, bySymbol: ReadonlyMap<string, ExchangePosition>): Promise<void> {
  const { book, deps, config } = ctx;
  for (const pendingOrder of [...book.pending.values()]) {
    const { request } = pendingOrder;
    // Its send is still running (an entry from a candle close while this tick runs):
    // settling it now could open the position twice.
    if (book.sending.has(request.clientOrderId)) continue;
    // Opened meanwhile by its own send (openIfFilled) while this loop awaited another order.
    if (!book.pending.has(request.clientOrderId)) continue;
    if (pendingOrder.purpose !== 'entry') {
      await settleProtection(ctx, pendingOrder);
      continue;
    }
    const order = await deps.exchange.fetchOrder(request.symbol, request.clientOrderId);
    if (!book.pending.has(request.clientOrderId)) continue;
    if (order === null) {
      // Never reached the exchange (crash between intent and send, or refused): forget it.
      book.pending.delete(request.clientOrderId);
      ctx.log.info('entry intent was never sent; dropped', { clientOrderId: request.clientOrderId });
      await deps.persist('entry dropped');
      continue;
    }
    if (isFilled(order) && pendingOrder.draft !== null) {
      book.pending.delete(request.clientOrderId);
      await openManaged(ctx, pendingOrder.draft, order, bySymbol.get(request.symbol) ?? null);
      continue;
    }
    if (order.status === 'canceled' || order.status === 'rejected' || order.status === 'expired') {
      book.pending.delete(request.clientOrderId);
      await deps.persist('entry ended unfilled');
      continue;
    }
    if (deps.clock.now() - pendingOrder.createdAt > config.entryTimeoutMs) {
      await cancelQuietly(ctx, request.symbol, request.clientOrderId);
      book.pending.delete(request.clientOrderId);
      await deps.persist('entry timed out');
    }
  }
}

/** A close/protection order whose outcome was unknown: it is either on the exchange or not. */
async function settleProtection(ctx: TraderContext, pendingOrder: PendingOrder): Promise<void> {
  const { request } = pendingOrder;
  const found = await ctx.deps.exchange.fetchOrder(request.symbol, request.clientOrderId);
  if (found !== null) ctx.book.pending.delete(request.clientOrderId);
  else if (pendingOrder.stage === 'intent' || ctx.deps.clock.now() - pendingOrder.createdAt > ctx.config.entryTimeoutMs)
    await forgetUnsent(ctx, pendingOrder);
}

/** An order that never reached the exchange: the position must not wait for it. */
async function forgetUnsent(ctx: TraderContext, order: PendingOrder): Promise<void> {
  const { symbol, clientOrderId: id } = order.request;
  const { book } = ctx;
  book.pending.delete(id);
  const position = book.positions.get(symbol);
  if (position === undefined) return;
  if (order.purpose === 'close' && position.exitClientOrderId === id) {
    book.positions.set(symbol, { ...position, exitClientOrderId: null });
    if (position.exitReason !== null) book.exitRequests.set(symbol, position.exitReason);
    warn(ctx, `close of ${symbol} (${id}) never reached the exchange; it will be sent again`);
  } else if (order.purpose === 'sl' && position.slClientOrderId === id) {
    await ensureStop(ctx, position);
  }
  await ctx.deps.persist(`${order.purpose} never sent ${id}`);
}

/**
 * A close that ended without closing (expired, cancelled, rejected) while the position is
 * still open must not leave the position waiting for it forever: request the exit again.
 */
export async function retryEndedClose(ctx: TraderContext, position: ManagedPosition): Promise<void> {
  const id = position.exitClientOrderId;
  if (id === null || ctx.book.pending.has(id)) return;
  const order = await ctx.deps.exchange.fetchOrder(position.symbol, id);
  if (order === null || isOpenStatus(order.status)) return;
  if (order.status === 'filled') return; // the position's remainder, if any, is finalised when it is gone
  ctx.book.positions.set(position.symbol, { ...position, exitClientOrderId: null });
  if (position.exitReason !== null) ctx.book.exitRequests.set(position.symbol, position.exitReason);
  warn(ctx, `close of ${position.symbol} (${id}) ended ${order.status} with the position still open; it will be sent again`);
}
