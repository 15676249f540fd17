/**
 * Order entry on the paper venue: what Binance rejects (with its codes), the margin an
 * order holds while open, and closing orders (cancel, expiry of reduce-only orders).
 */
import { maxLeverageFor, validateOrder } from '../../engine/exchange-rules.js';
import type { OrderRequest, OrderSide, OrderState, OrderStatus, SymbolRules } from '../../engine/types.js';
import { InsufficientFundsError, InvalidOrderError } from '../../errors.js';
import type { PaperOrderRecord } from './types.js';
import { positionSign, sideSign, type PaperVenue } from './venue.js';

/**
 * Places an order at once. Rejections, in Binance's order of checks: unknown symbol
 * -1121, duplicate client id -4116, filters (validateOrder), reduce-only that would not
 * reduce -2022, a stop that would trigger immediately -2021, position above the
 * bracket's cap for the leverage -2027, not enough margin -2019 (InsufficientFundsError).
 */
export function placeOrderNow(venue: PaperVenue, request: OrderRequest): OrderState {
  const { symbol, side, type, quantity, reduceOnly, clientOrderId } = request;
  const rules = venue.rulesOf(symbol);
  if (venue.book.has(symbol, clientOrderId)) {
    throw new InvalidOrderError(`ClientOrderId is duplicated: ${clientOrderId} already used on ${symbol}`, '-4116');
  }
  if ((type === 'stop_market' || type === 'take_profit_market') && !reduceOnly) {
    throw new InvalidOrderError(`The paper exchange takes ${type} orders only as reduce-only (${clientOrderId})`, null);
  }
  const lastPrice = venue.currentPriceOf(symbol);
  const referencePrice = request.price ?? lastPrice ?? request.stopPrice;
  if (referencePrice === undefined || referencePrice === null) {
    throw new InvalidOrderError(`No price for ${symbol} yet: feed a candle or ticker before the first order`, null);
  }
  checkFilters(venue, rules, request, referencePrice);
  checkReduceAndTrigger(venue, request, lastPrice);
  const reservedMarginUsdt = reduceOnly ? 0 : reserveMargin(venue, rules, request, referencePrice);

  const now = venue.nowMs();
  const seq = venue.nextOrderSeq++;
  const state: OrderState = {
    clientOrderId,
    exchangeOrderId: String(seq),
    symbol,
    side,
    type,
    status: 'new',
    quantity,
    filledQuantity: 0,
    averagePrice: null,
    price: request.price ?? null,
    stopPrice: request.stopPrice ?? null,
    reduceOnly,
    feeUsdt: 0,
    createdAt: now,
    updatedAt: now,
  };
  venue.book.putOpen({ seq, state, reservedMarginUsdt, resting: false });
  venue.logger.debug('paper order placed', {
    symbol,
    clientOrderId,
    side,
    type,
    quantity,
    price: state.price,
    stopPrice: state.stopPrice,
    reduceOnly,
  });
  return state;
}

/** The symbol's filters (validateOrder), with the default minimum notional when it has none. */
function checkFilters(venue: PaperVenue, rules: SymbolRules, request: OrderRequest, referencePrice: number): void {
  const { symbol, side, type, quantity, reduceOnly } = request;
  const filters = { ...rules.filters, minNotional: rules.filters.minNotional ?? venue.defaultMinNotionalUsdt };
  const rejection = validateOrder(filters, {
    type,
    quantity,
    reduceOnly,
    referencePrice,
    ...(request.price === undefined ? {} : { price: request.price }),
    ...(request.stopPrice === undefined ? {} : { stopPrice: request.stopPrice }),
  });
  if (rejection !== null) {
    throw new InvalidOrderError(
      `${rejection.message} (${symbol} ${side} ${type} qty ${quantity}${request.price === undefined ? '' : ` price ${request.price}`}` +
        `${request.stopPrice === undefined ? '' : ` stop ${request.stopPrice}`})`,
      rejection.code,
    );
  }
}

/** -2022 for a reduce-only order that would not reduce, -2021 for a stop already through the last price. */
function checkReduceAndTrigger(venue: PaperVenue, request: OrderRequest, lastPrice: number | null): void {
  const { symbol, side, type, quantity, reduceOnly } = request;
  const position = venue.positions.get(symbol);
  if (reduceOnly && (position === undefined || positionSign(position) === sideSign(side))) {
    throw new InvalidOrderError(
      `ReduceOnly Order is rejected: ${side} ${quantity} ${symbol} would ${position === undefined ? 'open' : 'increase'} a position`,
      '-2022',
    );
  }
  if (request.stopPrice !== undefined && lastPrice !== null && wouldTriggerImmediately(type, side, request.stopPrice, lastPrice)) {
    throw new InvalidOrderError(
      `Order would immediately trigger: ${side} ${type} stop ${request.stopPrice} vs last price ${lastPrice} on ${symbol}`,
      '-2021',
    );
  }
}

/**
 * The margin a non-reduce-only order holds while open: initial margin of the part that
 * opens or adds, plus the taker fee on the whole quantity. -2027 when the position after
 * it is above the bracket's cap for the leverage, -2019 when the available balance is short.
 */
function reserveMargin(venue: PaperVenue, rules: SymbolRules, request: OrderRequest, referencePrice: number): number {
  const { symbol, side, quantity } = request;
  const sign = sideSign(side);
  const position = venue.positions.get(symbol);
  const opposite = position !== undefined && positionSign(position) !== sign ? position.size : 0;
  const sameSide = position !== undefined && positionSign(position) === sign ? position.size : 0;
  const openingQty = Math.max(0, quantity - opposite);
  const leverage = venue.leverageOf(symbol);
  if (openingQty > 0) {
    const notionalAfterUsdt = (sameSide + openingQty) * referencePrice;
    const maxLeverage = maxLeverageFor(rules.brackets, notionalAfterUsdt);
    if (leverage > maxLeverage) {
      throw new InvalidOrderError(
        `Exceeded the maximum allowable position at current leverage: ${symbol} notional ` +
          `${notionalAfterUsdt.toFixed(2)} USDT allows at most ${maxLeverage}x, leverage is ${leverage}x`,
        '-2027',
      );
    }
  }
  const reservedMarginUsdt = (openingQty * referencePrice) / leverage + quantity * referencePrice * venue.takerFeeRate;
  const availableUsdt = venue.availableBalanceUsdt();
  if (reservedMarginUsdt > availableUsdt + 1e-9) {
    throw new InsufficientFundsError(
      `Margin is insufficient (-2019): ${side} ${quantity} ${symbol} at ${leverage}x needs ` +
        `${reservedMarginUsdt.toFixed(4)} USDT (initial margin + fee), available ${availableUsdt.toFixed(4)} USDT`,
    );
  }
  return reservedMarginUsdt;
}

/** Binance -2021: a stop already through the last price, or a take-profit already reached. */
function wouldTriggerImmediately(type: OrderRequest['type'], side: OrderSide, stopPrice: number, lastPrice: number): boolean {
  if (type === 'stop_market') return side === 'sell' ? stopPrice >= lastPrice : stopPrice <= lastPrice;
  if (type === 'take_profit_market') return side === 'sell' ? stopPrice <= lastPrice : stopPrice >= lastPrice;
  return false;
}

/** Cancels an open order; unknown or already closed → -2011 like Binance. */
export function cancelOrderNow(venue: PaperVenue, symbol: string, clientOrderId: string): void {
  const record = venue.book.findOpen(symbol, clientOrderId);
  if (record === undefined) {
    throw new InvalidOrderError(`Unknown order sent: no open order ${clientOrderId} on ${symbol}`, '-2011');
  }
  closeOrder(venue, record, 'canceled', venue.nowMs());
}

export function closeOrder(
  venue: PaperVenue,
  record: PaperOrderRecord,
  status: Extract<OrderStatus, 'canceled' | 'expired'>,
  atMs: number,
): void {
  const state: OrderState = { ...record.state, status, updatedAt: atMs };
  venue.book.finish({ ...record, state, reservedMarginUsdt: 0 });
  venue.logger.debug('paper order closed', { symbol: state.symbol, clientOrderId: state.clientOrderId, status });
  venue.emit({ kind: 'canceled', order: state });
}

/** (d) Reduce-only orders of a symbol without a position expire. */
export function expireOrphanReduceOnly(venue: PaperVenue, symbol: string, atMs: number): void {
  if (!venue.positions.has(symbol)) expireReduceOnly(venue, symbol, atMs);
}

export function expireReduceOnly(venue: PaperVenue, symbol: string, atMs: number): void {
  for (const record of venue.book.openOf(symbol)) {
    if (record.state.reduceOnly) closeOrder(venue, record, 'expired', atMs);
  }
}
