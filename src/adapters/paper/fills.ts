/**
 * Fills on the paper venue (one-way mode, isolated margin): the part of a fill against the
 * position closes it (realised P&L, margin released pro rata), the rest opens or adds
 * (margin = notional / leverage); fees come out of the wallet.
 */
import { roundQty } from '../../engine/exchange-rules.js';
import type { OrderState } from '../../engine/types.js';
import { closeOrder, expireReduceOnly } from './orders.js';
import type { PaperOrderRecord } from './types.js';
import { positionSign, sideSign, type PaperVenue } from './venue.js';

/**
 * Fills the rest of `record` at `price`. A reduce-only order fills at most the position's
 * size and is reported filled with that quantity; with no position to reduce it expires
 * (Binance).
 */
export function fill(venue: PaperVenue, record: PaperOrderRecord, price: number, feeRate: number, atMs: number): void {
  const order = record.state;
  const symbol = order.symbol;
  const rules = venue.rulesOf(symbol);
  const stepSize = Math.min(rules.filters.stepSize, rules.filters.marketStepSize);
  const position = venue.positions.get(symbol);
  let quantity = order.quantity - order.filledQuantity;
  if (order.reduceOnly) {
    if (position === undefined || positionSign(position) === sideSign(order.side)) {
      closeOrder(venue, record, 'expired', atMs);
      return;
    }
    quantity = Math.min(quantity, position.size);
  }
  const { realizedPnlUsdt, openingQty, positionClosed } = reduceAgainst(venue, order, quantity, price, stepSize, atMs);
  if (openingQty > 0) openOrAdd(venue, order, openingQty, price, stepSize, atMs);
  const feeUsdt = quantity * price * feeRate;
  venue.walletBalanceUsdt -= feeUsdt;
  venue.totals.feesUsdt += feeUsdt;
  venue.totals.realizedPnlUsdt += realizedPnlUsdt;
  venue.totals.fills += 1;

  const filled: OrderState = {
    ...order,
    status: 'filled',
    filledQuantity: order.filledQuantity + quantity,
    averagePrice: price,
    feeUsdt: order.feeUsdt + feeUsdt,
    updatedAt: atMs,
  };
  venue.book.finish({ ...record, state: filled, reservedMarginUsdt: 0 });
  const after = venue.positions.get(symbol);
  const positionAfter = after === undefined ? null : venue.exchangePosition(after, venue.markAt(symbol, price));
  venue.logger.debug('paper fill', {
    symbol,
    clientOrderId: order.clientOrderId,
    side: order.side,
    type: order.type,
    quantity,
    price,
    feeUsdt,
    realizedPnlUsdt,
    at: new Date(atMs).toISOString(),
  });
  venue.emit({ kind: 'fill', order: filled, realizedPnlUsdt, feeUsdt, positionAfter });
  if (positionClosed && !venue.positions.has(symbol)) expireReduceOnly(venue, symbol, atMs);
}

interface Reduction {
  readonly realizedPnlUsdt: number;
  /** What is left of the fill to open or add on the order's side. */
  readonly openingQty: number;
  readonly positionClosed: boolean;
}

/** The part of a fill of `quantity` against the opposite position: realised P&L into the wallet, margin released pro rata. */
function reduceAgainst(venue: PaperVenue, order: OrderState, quantity: number, price: number, stepSize: number, atMs: number): Reduction {
  const position = venue.positions.get(order.symbol);
  if (position === undefined || positionSign(position) === sideSign(order.side)) {
    return { realizedPnlUsdt: 0, openingQty: quantity, positionClosed: false };
  }
  const closeQty = Math.min(quantity, position.size);
  const realizedPnlUsdt = positionSign(position) * closeQty * (price - position.entryPrice);
  venue.walletBalanceUsdt += realizedPnlUsdt;
  const remainingSize = roundQty(position.size - closeQty, stepSize, 'nearest');
  let positionClosed = false;
  if (remainingSize <= 0) {
    venue.positions.delete(order.symbol);
    positionClosed = true;
  } else {
    position.isolatedMarginUsdt *= remainingSize / position.size;
    position.size = remainingSize;
    position.updatedAt = atMs;
  }
  return { realizedPnlUsdt, openingQty: roundQty(quantity - closeQty, stepSize, 'nearest'), positionClosed };
}

/**
 * Opens a position of `openingQty` at `price`, or adds to the one on the order's side
 * (average entry).
 */
function openOrAdd(venue: PaperVenue, order: OrderState, openingQty: number, price: number, stepSize: number, atMs: number): void {
  const symbol = order.symbol;
  const leverage = venue.leverageOf(symbol);
  const current = venue.positions.get(symbol);
  if (current !== undefined) {
    const size = roundQty(current.size + openingQty, stepSize, 'nearest');
    current.entryPrice = (current.size * current.entryPrice + openingQty * price) / (current.size + openingQty);
    current.size = size;
    current.isolatedMarginUsdt += (openingQty * price) / leverage;
    current.updatedAt = atMs;
    return;
  }
  venue.positions.set(symbol, {
    symbol,
    side: sideSign(order.side) > 0 ? 'long' : 'short',
    size: openingQty,
    entryPrice: price,
    isolatedMarginUsdt: (openingQty * price) / leverage,
    openedAt: atMs,
    updatedAt: atMs,
  });
}
