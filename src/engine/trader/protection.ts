/**
 * Position protection and exits: the managed position from an entry fill with its SL (a
 * stop-market) and TP (a reduce-only limit) on the exchange (BLUEPRINT pipeline step 8: protection while the bot is down), a
 * missing stop re-placed, and the reduce-only market close on priority 0.
 */
import { clientOrderId } from '../client-order-id.js';
import { isolatedLiquidationPrice } from '../exchange-rules.js';
import { slTpFromFill, tradeMargins } from '../pipeline.js';
import type { EntryDraft, ManagedPosition } from '../ports.js';
import type { ExchangePosition, ExitReason, OrderState } from '../types.js';
import { type TraderContext, exitSide, safety } from './context.js';
import { protectStopQuietly, unprotected } from './guard.js';
import { closeHeld, holdAfterRefusal } from './close-hold.js';
import { send, sendWithOutcome, stopOrder } from './journal.js';

/** BLUEPRINT pipeline step 8: SL/TP from the average fill; the stop is on the exchange (protection while down). */
export async function openManaged(
  ctx: TraderContext,
  draft: EntryDraft,
  order: OrderState,
  onExchange: ExchangePosition | null,
): Promise<void> {
  const opened = managedFromFill(ctx, draft, order, onExchange);
  const { symbol, size, slPrice, tpPrice, slClientOrderId: slId, tpClientOrderId: tpId } = opened;
  let position: ManagedPosition = opened;
  ctx.book.positions.set(symbol, position);
  ctx.log.info('position opened', {
    symbol,
    side: draft.side,
    size,
    entryPrice: position.entryPrice,
    slPrice,
    tpPrice,
    leverage: draft.leverage,
    notionalUsdt: tradeMargins(size, position.entryPrice, draft.leverage).notionalUsdt,
  });
  const stop = await send(ctx, { request: stopOrder(symbol, exitSide(draft.side), size, slPrice, slId), purpose: 'sl', priority: 0 });
  // BLUEPRINT "Paper fills" (Decided): the take-profit is a reduce-only limit at its price (maker fee, no slippage).
  const take = await send(ctx, {
    request: { symbol, side: exitSide(draft.side), type: 'limit', quantity: size, price: tpPrice, reduceOnly: true, clientOrderId: tpId },
    purpose: 'tp',
    priority: 0,
  });
  if (take === null) position = { ...position, tpClientOrderId: null };
  ctx.book.positions.set(symbol, position);
  ctx.deps.onEvent?.({ kind: 'entry', position });
  if (stop === null) {
    // An unprotected position is not acceptable: close it now.
    unprotected(ctx).set(symbol, `stop at ${slPrice} refused at the entry; closing the position`);
    safety(ctx, 'unprotected', symbol, `stop for ${symbol} could not be placed; closing the position`);
    await close(ctx, { ...position, slClientOrderId: null }, 'liquidation_risk');
  }
  await ctx.deps.persist('position opened');
}

function managedFromFill(
  ctx: TraderContext,
  draft: EntryDraft,
  order: OrderState,
  onExchange: ExchangePosition | null,
): ManagedPosition & { readonly slClientOrderId: string; readonly tpClientOrderId: string } {
  const rules = ctx.deps.rules.get(order.symbol);
  const entryPrice = order.averagePrice ?? 0;
  const size = order.filledQuantity;
  const { slPrice, tpPrice } = slTpFromFill(
    { side: draft.side, slDistance: draft.slDistance, tpDistance: draft.tpDistance, tickSize: draft.tickSize },
    entryPrice,
  );
  const { marginUsdt } = tradeMargins(size, entryPrice, draft.leverage);
  const liquidationPrice =
    onExchange?.liquidationPrice ??
    (rules === undefined
      ? 0
      : isolatedLiquidationPrice({ side: draft.side, size, entryPrice, isolatedMarginUsdt: marginUsdt, brackets: rules.brackets }));
  const { slDistance: _sl, tpDistance: _tp, decidedAt: _at, referencePrice, ...decision } = draft;
  // The decision's fields spread last: on Node 20 every key added after a spread is a slow
  // map transition (this literal took ~75 µs with the spread first).
  return {
    symbol: order.symbol,
    size,
    entryPrice,
    slPrice,
    tpPrice,
    liquidationPrice,
    openedAt: order.updatedAt,
    entryClientOrderId: order.clientOrderId,
    slClientOrderId: clientOrderId('sl', order.symbol, draft.decidedAt),
    tpClientOrderId: clientOrderId('tp', order.symbol, draft.decidedAt),
    feesUsdt: order.feeUsdt,
    fundingUsdt: 0,
    adopted: false,
    exitClientOrderId: null,
    exitReason: null,
    ...decision,
    ...(referencePrice !== undefined ? { entryReferencePrice: referencePrice } : {}),
  };
}

/** Sends a reduce-only market close on priority 0. */
export async function close(ctx: TraderContext, position: ManagedPosition, reason: ExitReason): Promise<void> {
  const { positions, exitRequests } = ctx.book;
  if (closeHeld(ctx, position)) {
    // A rate-limit ban refused the last try: the exit stays requested; the exchange stop protects meanwhile.
    exitRequests.set(position.symbol, reason);
    return;
  }
  const id = clientOrderId('close', position.symbol, ctx.deps.clock.now());
  const lastPrice = ctx.book.lastPrice.get(position.symbol)?.price;
  const closing: ManagedPosition = {
    ...position,
    exitClientOrderId: id,
    exitReason: reason,
    ...(lastPrice !== undefined ? { exitReferencePrice: lastPrice } : {}),
  };
  positions.set(position.symbol, closing);
  exitRequests.delete(position.symbol);
  const { order, refusal } = await sendWithOutcome(ctx, {
    request: {
      symbol: position.symbol,
      side: exitSide(position.side),
      type: 'market',
      quantity: position.size,
      reduceOnly: true,
      clientOrderId: id,
    },
    purpose: 'close',
    priority: 0,
  });
  if (order === null && ctx.book.pending.has(id)) {
    // Outcome unknown: keep waiting for this close; it is settled by client order id, never resent blindly.
  } else if (order === null) {
    // Refused (the position is already gone, a busy exchange, …): the exit stays requested, so
    // the next tick finalises a gone position or sends the close again (a manual or emergency
    // request, or a reversal, must not be lost to one failed request).
    positions.set(position.symbol, { ...closing, exitClientOrderId: null });
    exitRequests.set(position.symbol, reason);
    holdAfterRefusal(ctx, position, refusal);
    await ctx.deps.persist('close refused');
  } else {
    ctx.log.info('close sent', { symbol: position.symbol, reason, clientOrderId: id });
  }
}

/** Makes sure an open position has exactly one stop on the exchange (attach before place, guard.ts). */
export async function ensureStop(ctx: TraderContext, position: ManagedPosition): Promise<void> {
  const mark = ctx.book.lastPrice.get(position.symbol)?.mark ?? null;
  await protectStopQuietly(ctx, position, mark);
}
