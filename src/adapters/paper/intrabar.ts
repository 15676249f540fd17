/**
 * The price path inside one candle and the fill prices on it
 * (BLUEPRINT "Paper fills inside a candle (Decided)"). Pure functions.
 */
import { roundPrice } from '../../engine/exchange-rules.js';
import type { Candle, OrderSide } from '../../engine/types.js';

/**
 * open → low → high → close when the candle closes up (close ≥ open), else
 * open → high → low → close: the pessimistic order for most stops.
 */
export function intrabarPath(candle: Candle): readonly [number, number, number, number] {
  return candle.close >= candle.open
    ? [candle.open, candle.low, candle.high, candle.close]
    : [candle.open, candle.high, candle.low, candle.close];
}

/**
 * A market fill at `price` worsened by slippage and rounded to the tick grid against
 * the trader: a buy fills above (rounded up), a sell below (rounded down).
 */
export function slippedPrice(side: OrderSide, price: number, slippageRate: number, tickSize: number): number {
  return side === 'buy' ? roundPrice(price * (1 + slippageRate), tickSize, 'up') : roundPrice(price * (1 - slippageRate), tickSize, 'down');
}

/**
 * A stop (or take-profit-market) reached inside the path at `triggerPrice` fills at the
 * trigger worsened by slippage, but never beyond the candle's extreme in that direction
 * (a sell never below the low, a buy never above the high).
 */
export function triggeredFillPrice(
  side: OrderSide,
  triggerPrice: number,
  slippageRate: number,
  tickSize: number,
  low: number,
  high: number,
): number {
  const slipped = slippedPrice(side, triggerPrice, slippageRate, tickSize);
  return side === 'buy' ? Math.min(slipped, high) : Math.max(slipped, low);
}

/**
 * How far along the path (0..1) the price `level` is first reached when the walk has
 * covered `travelled` of `total` price distance. Used to stamp intrabar events with a
 * time inside the candle; 0 for a flat candle.
 */
export function pathFraction(travelled: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(1, Math.max(0, travelled / total));
}

/** Total price distance of a path. */
export function pathLength(path: readonly number[]): number {
  let total = 0;
  for (let i = 1; i < path.length; i++) total += Math.abs(path[i]! - path[i - 1]!);
  return total;
}
