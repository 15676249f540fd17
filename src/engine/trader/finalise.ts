/**
 * Trade finalisation: a position gone on the exchange is explained (our close, the SL, the
 * TP, a liquidation, or someone else), its leftover orders cancelled, its trade recorded
 * once, and only then forgotten.
 */
import type { ManagedPosition } from '../ports.js';
import { describeError } from '../../errors.js';
import { isOpenStatus, type AccountFill, type ExitReason, type OrderState } from '../types.js';
import { type TraderContext, exitSide, safety } from './context.js';
import { unprotected } from './guard.js';
import { cancelQuietly, orderState } from './journal.js';
import { tradeRecordOf } from './trade-record.js';

/** The position is gone on the exchange: find out how it ended and record the trade once. */
export async function finalise(ctx: TraderContext, position: ManagedPosition): Promise<void> {
  const { symbol } = position;
  const { book } = ctx;
  const ended = await howItEnded(ctx, position);
  // Only what is still open is cancelled (the exchange usually expired them with the position).
  await Promise.all([
    cancelQuietly(ctx, symbol, isOpen(ended.slState) ? position.slClientOrderId : null),
    cancelQuietly(ctx, symbol, isOpen(ended.tpState) ? position.tpClientOrderId : null),
  ]);
  const funding = await ctx.deps.exchange.fetchFundingPayments(symbol, position.openedAt);
  const fundingUsdt = funding.reduce((sum, f) => sum + f.amountUsdt, 0);
  const now = ctx.deps.clock.now();
  const trade = tradeRecordOf(position, {
    exitReason: ended.exitReason,
    exitPrice: ended.exitPrice,
    exitFeeUsdt: ended.exitFeeUsdt,
    closedAt: ended.closedAt ?? now,
    fundingUsdt,
    exitReferencePrice: ended.exitReferencePrice,
    estimated: ended.estimated,
  });
  const { exitReason, exitPrice, pnlUsdt } = trade;
  // Record first (idempotent by id), then forget the position: a crash in between re-records the same id.
  await ctx.deps.recordTrade(trade);
  book.positions.delete(symbol);
  book.exitRequests.delete(symbol);
  unprotected(ctx).delete(symbol);
  book.state = { ...book.state, closedTradeCount: book.state.closedTradeCount + 1 };
  if (!position.adopted) book.ruleStats.record(position.rule, position.side, pnlUsdt > 0);
  book.balanceCache = null;
  ctx.log.info('position closed', {
    symbol,
    side: position.side,
    exitReason,
    entryPrice: position.entryPrice,
    exitPrice,
    pnlUsdt: round2(pnlUsdt),
  });
  ctx.predictor.onTradeClosed?.(trade);
  ctx.deps.onEvent?.({ kind: 'exit', trade });
  await ctx.deps.persist('position closed');
}

interface Ended {
  readonly exitReason: ExitReason;
  readonly exitPrice: number;
  readonly exitFeeUsdt: number;
  readonly closedAt: number | null;
  /** What the closing fill's slippage is measured against (null: none). */
  readonly exitReferencePrice: number | null;
  readonly slState: OrderState | null;
  readonly tpState: OrderState | null;
  /** The exit price or its fee is an estimate (not read from the exchange). */
  readonly estimated: boolean;
}

/** Which order closed the position, at what price; the exchange's forced closes when none of ours did. */
async function howItEnded(ctx: TraderContext, position: ManagedPosition): Promise<Ended> {
  const { symbol } = position;
  // One read of each order of the position: which one closed it, and which are still open.
  const [exitState, slState, tpState] = await Promise.all([
    orderState(ctx, symbol, position.exitClientOrderId),
    orderState(ctx, symbol, position.slClientOrderId),
    orderState(ctx, symbol, position.tpClientOrderId),
  ]);
  const exitOrder = filled(exitState);
  const slOrder = exitOrder === null ? filled(slState) : null;
  const tpOrder = exitOrder === null && slOrder === null ? filled(tpState) : null;
  const closing = exitOrder ?? slOrder ?? tpOrder;
  if (closing !== null) {
    const exitReason = exitOrder !== null ? (position.exitReason ?? 'manual') : slOrder !== null ? 'sl' : 'tp';
    // A stop against its trigger, our market close against the price when it was sent; the TP limit fills at its price.
    const exitReferencePrice = exitOrder !== null ? (position.exitReferencePrice ?? null) : slOrder !== null ? slOrder.stopPrice : null;
    // A fill without its average price (a triggered stop's payload) is priced at its trigger: an estimate.
    const source = exitOrder !== null ? exitState : slOrder !== null ? slState : tpState;
    const estimated = source?.averagePrice === null;
    const exitPrice = closing.averagePrice ?? position.entryPrice;
    return {
      exitReason,
      exitPrice,
      exitFeeUsdt: closing.feeUsdt,
      closedAt: closing.updatedAt,
      exitReferencePrice,
      slState,
      tpState,
      estimated,
    };
  }
  const last = ctx.book.lastPrice.get(symbol);
  const mark = last?.mark ?? position.entryPrice;
  // None of our orders closed it: the exchange did (liquidation), or someone else did.
  const forced = (await ctx.deps.exchange.fetchForcedCloses(symbol, position.openedAt)).at(-1);
  if (forced !== undefined)
    return {
      exitReason: 'liquidation',
      exitPrice: forced.price,
      exitFeeUsdt: 0,
      closedAt: forced.at,
      exitReferencePrice: null,
      slState,
      tpState,
      estimated: false,
    };
  return { ...(await closedOutside(ctx, position, last?.price ?? mark)), exitReferencePrice: null, slState, tpState };
}

/**
 * Someone else closed it (the Binance app, another bot): the account's exit-side fills since
 * the position opened give the price, fee and time; without them the last price stands in
 * and the record is flagged estimated.
 */
async function closedOutside(
  ctx: TraderContext,
  position: ManagedPosition,
  lastPrice: number,
): Promise<Pick<Ended, 'exitReason' | 'exitPrice' | 'exitFeeUsdt' | 'closedAt' | 'estimated'>> {
  const { symbol } = position;
  let fills: AccountFill[] = [];
  try {
    fills = ((await ctx.deps.exchange.fetchAccountFills?.(symbol, position.openedAt)) ?? []).filter(
      (f) => f.side === exitSide(position.side) && f.symbol === symbol,
    );
  } catch (error) {
    ctx.log.warn('account fills could not be read; the exit of the position closed outside the bot is estimated', {
      symbol,
      error: describeError(error),
    });
  }
  const quantity = fills.reduce((sum, f) => sum + f.quantity, 0);
  const read = quantity > 0;
  const ending = {
    exitReason: 'external' as const,
    exitPrice: read ? fills.reduce((sum, f) => sum + f.price * f.quantity, 0) / quantity : lastPrice,
    exitFeeUsdt: fills.reduce((sum, f) => sum + f.feeUsdt, 0),
    closedAt: fills.at(-1)?.at ?? null,
    // Fills for less than the position's size: the rest is not accounted for.
    estimated: !read || quantity < position.size * (1 - 1e-9),
  };
  safety(
    ctx,
    'closed_outside',
    symbol,
    `position ${symbol} was closed outside the bot; recorded at ${ending.exitPrice}${ending.estimated ? ' (estimated: its closing fills were not all found)' : ' (from the account fills)'}`,
  );
  return ending;
}

/** The order if it filled (with an average price), else null. */
function filled(order: OrderState | null): OrderState | null {
  if (order === null || order.filledQuantity <= 0) return null;
  // A triggered stop whose payload has no average price: its trigger is the best estimate.
  const averagePrice = order.averagePrice ?? order.stopPrice ?? order.price;
  return averagePrice === null ? null : { ...order, averagePrice };
}

function isOpen(order: OrderState | null): boolean {
  return order !== null && isOpenStatus(order.status);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
