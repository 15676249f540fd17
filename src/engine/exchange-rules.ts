/**
 * Binance USDT-M exchange rules as pure functions: the tick/step grids, leverage
 * brackets, maintenance margin, the isolated liquidation price and the order
 * validation the exchange performs. Shared by the planning pipeline (so plans are
 * valid by construction) and the paper exchange (so it rejects what Binance rejects).
 */
import type { LeverageBracket, OrderType, Side, SymbolFilters } from './types.js';

export type RoundingMode = 'down' | 'up' | 'nearest';

/**
 * Decimal places of a grid step (`0.1` → 1, `1e-8` → 8, `5` → 0).
 * The step is first normalised to 12 significant digits so float noise in a
 * computed step (0.30000000000000004) does not inflate the count.
 */
export function decimalsOf(step: number): number {
  // A symbol has a handful of steps and the pipeline asks for them on every rounding: memoise.
  const known = decimalsCache.get(step);
  if (known !== undefined) return known;
  assertPositiveFinite(step, 'step');
  const text = Number(step.toPrecision(12)).toString();
  const [mantissa = '', exponent] = text.split('e');
  const fractionLength = (mantissa.split('.')[1] ?? '').length;
  const exponentValue = exponent === undefined ? 0 : Number(exponent);
  const decimals = Math.max(0, fractionLength - exponentValue);
  if (decimalsCache.size < 1024) decimalsCache.set(step, decimals);
  return decimals;
}

const decimalsCache = new Map<number, number>();

/**
 * Rounds `value` to a whole number of `step`s.
 * Why the epsilon: `0.1 + 0.2` is 3.0000000000000004 steps of 0.1 and must round
 * *down* to 0.3, not stay above it; so values within ~1e-9 of a step (relative to
 * the step, widened for very large step counts) count as on the grid. The result is
 * re-parsed with the step's decimals so `result / step` is an integer within 1e-9.
 * `nearest` rounds halves up (toward +∞).
 */
export function roundToStep(value: number, step: number, mode: RoundingMode): number {
  assertPositiveFinite(step, 'step');
  if (!Number.isFinite(value)) throw new RangeError(`roundToStep: value must be finite, got ${value}`);
  const units = value / step;
  const epsilon = Math.max(1e-9, Math.abs(units) * 1e-12);
  let whole: number;
  switch (mode) {
    case 'down':
      whole = Math.floor(units + epsilon);
      break;
    case 'up':
      whole = Math.ceil(units - epsilon);
      break;
    case 'nearest':
      whole = Math.round(units);
      break;
  }
  const rounded = Number((whole * step).toFixed(decimalsOf(step)));
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** Whether `value` lies on the `step` grid (within the float tolerance of `roundToStep`). */
export function isOnStep(value: number, step: number): boolean {
  assertPositiveFinite(step, 'step');
  const units = value / step;
  return Math.abs(units - Math.round(units)) <= Math.max(1e-9, Math.abs(units) * 1e-12);
}

/** A price on the symbol's PRICE_FILTER tick grid. */
export function roundPrice(price: number, tickSize: number, mode: RoundingMode): number {
  return roundToStep(price, tickSize, mode);
}

/** A quantity on the symbol's LOT_SIZE (or MARKET_LOT_SIZE) step grid. */
export function roundQty(qty: number, stepSize: number, mode: RoundingMode): number {
  return roundToStep(qty, stepSize, mode);
}

/**
 * The leverage bracket a position of `notionalUsdt` falls in:
 * `notionalFloor ≤ notional < notionalCap`; above the last cap → the last bracket,
 * below the first floor → the first. Brackets must be sorted by floor ascending.
 */
export function bracketFor(brackets: readonly LeverageBracket[], notionalUsdt: number): LeverageBracket {
  const first = brackets[0];
  if (first === undefined) throw new RangeError('bracketFor: no leverage brackets given');
  let found: LeverageBracket = first;
  for (const bracket of brackets) {
    if (notionalUsdt >= bracket.notionalFloor) found = bracket;
    if (notionalUsdt < bracket.notionalCap) break;
  }
  return found;
}

/** The exchange's maximum leverage for a position of `notionalUsdt` (BLUEPRINT pipeline step 2, bracket ceiling). */
export function maxLeverageFor(brackets: readonly LeverageBracket[], notionalUsdt: number): number {
  return bracketFor(brackets, notionalUsdt).initialLeverage;
}

/** Binance maintenance margin: `notional × maintMarginRatio − cum` (cum is the bracket's maintenance amount). */
export function maintenanceMarginUsdt(notionalUsdt: number, bracket: LeverageBracket): number {
  return notionalUsdt * bracket.maintMarginRatio - bracket.cum;
}

export interface IsolatedPosition {
  readonly side: Side;
  /** Absolute size in base asset. */
  readonly size: number;
  readonly entryPrice: number;
  /** The isolated wallet balance of the position (its margin, plus anything added). */
  readonly isolatedMarginUsdt: number;
  readonly brackets: readonly LeverageBracket[];
}

/**
 * Isolated liquidation price, Binance one-way mode (BLUEPRINT pipeline step 6):
 * `LP = (WB + cum − s·q·EP) / (q·MMR − s·q)`, s = +1 long / −1 short.
 *
 * Bracket choice: Binance takes MMR and cum from the bracket of the position's
 * notional *at the liquidation price*. We start from the bracket of the entry
 * notional, compute LP, and if `q × LP` falls in another bracket recompute once
 * with that bracket. Should that second LP fall back into the first bracket (a
 * position right at a bracket boundary) we return whichever of the two is closer
 * to the entry, i.e. the more conservative one.
 *
 * Returns 0 for a long that cannot be liquidated (LP ≤ 0).
 */
export function isolatedLiquidationPrice(position: IsolatedPosition): number {
  const { side, size, entryPrice, brackets } = position;
  if (!(size > 0) || !(entryPrice > 0)) return 0;
  const entryBracket = bracketFor(brackets, size * entryPrice);
  const first = liquidationPriceWith(position, entryBracket);
  const atFirst = bracketFor(brackets, size * Math.max(first, 0));
  let price = first;
  if (atFirst.bracket !== entryBracket.bracket) {
    const second = liquidationPriceWith(position, atFirst);
    const atSecond = bracketFor(brackets, size * Math.max(second, 0));
    price = atSecond.bracket === atFirst.bracket ? second : side === 'long' ? Math.max(first, second) : Math.min(first, second);
  }
  return Math.max(0, price);
}

function liquidationPriceWith(position: IsolatedPosition, bracket: LeverageBracket): number {
  const s = position.side === 'long' ? 1 : -1;
  const q = position.size;
  const numerator = position.isolatedMarginUsdt + bracket.cum - s * q * position.entryPrice;
  const denominator = q * bracket.maintMarginRatio - s * q;
  return numerator / denominator;
}

/** A rejection as Binance reports it: its numeric code (as a string) and message. */
export interface OrderRejection {
  readonly code: string;
  readonly message: string;
}

export interface OrderToValidate {
  readonly type: OrderType;
  readonly quantity: number;
  readonly price?: number;
  readonly stopPrice?: number;
  readonly reduceOnly: boolean;
  /** The price the notional check uses for orders without a limit price (last or mark price). */
  readonly referencePrice: number;
}

/**
 * The rejection Binance USDT-M would give this order, or null when it passes the
 * symbol filters. Codes and messages are Binance's (futures error-code docs):
 * -1102 missing price/stopPrice, -4003 quantity ≤ 0, -4001/-4006 price/stop ≤ 0,
 * -1111 more decimals than the tick/step allows, -4014/-4023 right decimals but
 * not a multiple of the tick/step (e.g. tick 0.5), -4004/-4005 below minQty /
 * above maxQty, -4164 notional below minNotional on a non-reduce-only order.
 * Market, stop-market and take-profit-market orders use MARKET_LOT_SIZE.
 */
export function validateOrder(filters: SymbolFilters, order: OrderToValidate): OrderRejection | null {
  const isMarketLike = order.type !== 'limit';
  const stepSize = isMarketLike ? filters.marketStepSize : filters.stepSize;
  const minQty = isMarketLike ? filters.marketMinQty : filters.minQty;
  const maxQty = isMarketLike ? filters.marketMaxQty : filters.maxQty;

  if (order.type === 'limit' && order.price === undefined) {
    return { code: '-1102', message: "Mandatory parameter 'price' was not sent, was empty/null, or malformed." };
  }
  if ((order.type === 'stop_market' || order.type === 'take_profit_market') && order.stopPrice === undefined) {
    return { code: '-1102', message: "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed." };
  }
  if (!(order.quantity > 0)) return { code: '-4003', message: 'Quantity less than or equal to zero.' };
  if (order.price !== undefined && !(order.price > 0)) return { code: '-4001', message: 'Price less than 0.' };
  if (order.stopPrice !== undefined && !(order.stopPrice > 0)) {
    return { code: '-4006', message: 'Stop price less than zero.' };
  }

  for (const price of [order.price, order.stopPrice]) {
    if (price === undefined || isOnStep(price, filters.tickSize)) continue;
    return hasMoreDecimalsThan(price, filters.tickSize)
      ? precisionRejection()
      : { code: '-4014', message: 'Price not increased by tick size.' };
  }
  if (!isOnStep(order.quantity, stepSize)) {
    return hasMoreDecimalsThan(order.quantity, stepSize)
      ? precisionRejection()
      : { code: '-4023', message: 'Qty not increased by step size.' };
  }
  if (order.quantity < minQty && !isOnStepEqual(order.quantity, minQty, stepSize)) {
    return { code: '-4004', message: 'Quantity less than min quantity.' };
  }
  if (maxQty !== null && order.quantity > maxQty && !isOnStepEqual(order.quantity, maxQty, stepSize)) {
    return { code: '-4005', message: 'Quantity greater than max quantity.' };
  }
  if (filters.minNotional !== null && !order.reduceOnly) {
    const price = order.type === 'limit' ? (order.price ?? order.referencePrice) : order.referencePrice;
    const notionalUsdt = order.quantity * price;
    if (notionalUsdt < filters.minNotional * (1 - 1e-12)) {
      return {
        code: '-4164',
        message: `Order's notional must be no smaller than ${formatLikeBinance(filters.minNotional)} (unless you choose reduce only).`,
      };
    }
  }
  return null;
}

function precisionRejection(): OrderRejection {
  return { code: '-1111', message: 'Precision is over the maximum defined for this asset.' };
}

function hasMoreDecimalsThan(value: number, step: number): boolean {
  return decimalsOf(Math.abs(value)) > decimalsOf(step);
}

/** Two grid values are the same point (guards float dust in min/max comparisons). */
function isOnStepEqual(a: number, b: number, step: number): boolean {
  return Math.abs(a - b) <= step * 1e-9;
}

/** Binance prints integral notionals with one decimal ("5.0"). */
function formatLikeBinance(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

function assertPositiveFinite(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive finite number, got ${value}`);
  }
}
