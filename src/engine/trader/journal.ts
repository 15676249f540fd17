/**
 * The order journal: every order is persisted as an intent before it is sent and its
 * outcome persisted after (STYLE.md §6). An uncertain outcome stays pending and is
 * settled by client order id at the next tick (settlement.ts), never resent blindly.
 */
import { InsufficientFundsError, InvalidOrderError, OrderUncertainError, describeError } from '../../errors.js';
import type { EntryPlan } from '../pipeline.js';
import type { EntryDraft, PendingPurpose, Priority } from '../ports.js';
import type { OrderRequest, OrderState, OrderSide } from '../types.js';
import { type TraderContext, warn } from './context.js';

export interface SendOptions {
  readonly request: OrderRequest;
  readonly purpose: PendingPurpose;
  /** Scheduler priority: 0 for closes and protection, 1 for entries. */
  readonly priority: Priority;
  /** Entries only: the decision that becomes the managed position when the order fills. */
  readonly draft?: EntryDraft;
  /** Entries only: the plan, for the "entry sent" log line. */
  readonly plan?: EntryPlan;
}

/** Persist the intent, send, persist the result. Returns the order, or null when it was refused or its outcome is unknown. */
export async function send(ctx: TraderContext, options: SendOptions): Promise<OrderState | null> {
  return (await sendWithOutcome(ctx, options)).order;
}

/** `send`, with the error that refused the order (null when it was placed or its outcome is unknown). */
export async function sendWithOutcome(ctx: TraderContext, options: SendOptions): Promise<{ order: OrderState | null; refusal: unknown }> {
  const { request, purpose } = options;
  const createdAt = ctx.deps.clock.now();
  ctx.book.pending.set(request.clientOrderId, { request, purpose, createdAt, stage: 'intent', draft: options.draft ?? null });
  ctx.book.sending.add(request.clientOrderId);
  try {
    return await sendPersisted(ctx, options, createdAt);
  } finally {
    ctx.book.sending.delete(request.clientOrderId);
  }
}

async function sendPersisted(
  ctx: TraderContext,
  options: SendOptions,
  createdAt: number,
): Promise<{ order: OrderState | null; refusal: unknown }> {
  const { request, purpose, priority, plan } = options;
  const draft = options.draft ?? null;
  const { pending } = ctx.book;
  await ctx.deps.persist(`${purpose} intent ${request.clientOrderId}`);
  try {
    const order = await ctx.deps.exchange.placeOrder(request, priority);
    pending.set(request.clientOrderId, { request, purpose, createdAt, stage: 'sent', draft });
    if (purpose === 'entry' && plan !== undefined)
      ctx.log.info('entry sent', {
        symbol: request.symbol,
        side: plan.side,
        size: plan.size,
        leverage: plan.leverage,
        clientOrderId: request.clientOrderId,
      });
    if (purpose !== 'entry') pending.delete(request.clientOrderId);
    await ctx.deps.persist(`${purpose} sent ${request.clientOrderId}`);
    return { order, refusal: null };
  } catch (error) {
    let refusal: unknown = null;
    if (error instanceof OrderUncertainError) {
      warn(ctx, `${purpose} order ${request.clientOrderId} outcome unknown; will reconcile by client order id`);
      pending.set(request.clientOrderId, { request, purpose, createdAt, stage: 'sent', draft });
    } else {
      pending.delete(request.clientOrderId);
      if (error instanceof InsufficientFundsError) ctx.book.balanceCache = null;
      // Its declared reaction drives the engine state (insufficient funds → reducing, revoked key → halted).
      ctx.deps.entryGate?.observe(error, `${purpose} order ${request.symbol}`);
      warn(ctx, `${purpose} order ${request.clientOrderId} refused: ${describeError(error)}`);
      refusal = error;
    }
    await ctx.deps.persist(`${purpose} failed ${request.clientOrderId}`);
    return { order: null, refusal };
  }
}

/** A reduce-only stop-market order (the protective stop). */
export function stopOrder(symbol: string, side: OrderSide, quantity: number, stopPrice: number, clientOrderId: string): OrderRequest {
  return { symbol, side, type: 'stop_market', quantity, stopPrice, reduceOnly: true, clientOrderId };
}

/** Cancels an order if there is one; a refusal (already gone) is expected and not reported. */
export async function cancelQuietly(ctx: TraderContext, symbol: string, id: string | null): Promise<void> {
  if (id === null) return;
  try {
    await ctx.deps.exchange.cancelOrder(symbol, id, 0);
  } catch (error) {
    if (!(error instanceof InvalidOrderError)) ctx.log.debug('cancel failed', { symbol, clientOrderId: id, error: describeError(error) });
  }
}

export async function orderState(ctx: TraderContext, symbol: string, id: string | null): Promise<OrderState | null> {
  return id === null ? null : ctx.deps.exchange.fetchOrder(symbol, id);
}
