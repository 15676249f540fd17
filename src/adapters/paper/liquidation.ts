/**
 * Liquidation on the paper venue (BLUEPRINT "Liquidation ≠ 100 % loss" and "Paper fills"):
 * where the mark reaches the isolated liquidation price on the walk, what a liquidation
 * costs, and a closing fill beyond the liquidation price that is a liquidation instead.
 */
import { closeOrder } from './orders.js';
import type { PaperOrderRecord } from './types.js';
import { clampToRange, positionSign, sideSign, type MutablePosition, type PaperVenue, type Trigger, type WalkContext } from './venue.js';

/**
 * The liquidation as a trade-price trigger: mark = trade + basis (kept in the hour's
 * mark range) reaches the isolated liquidation price.
 */
export function liquidationTrigger(venue: PaperVenue, context: WalkContext): Trigger | null {
  const position = venue.positions.get(context.symbol);
  if (position === undefined) return null;
  const lp = venue.liquidationPriceOf(position);
  const range = context.markRange;
  if (position.side === 'long') {
    if (!(lp > 0)) return null;
    if (range !== null && lp < range.low) return null;
    const level = range !== null && lp >= range.high ? Infinity : lp - context.basisUsdt;
    return { record: null, direction: 'fall', level };
  }
  if (range !== null && lp > range.high) return null;
  const level = range !== null && lp <= range.low ? -Infinity : lp - context.basisUsdt;
  return { record: null, direction: 'rise', level };
}

/** The liquidation trigger fired: at the liquidation price, or at the mark it gapped to. */
export function fireLiquidation(venue: PaperVenue, context: WalkContext, gapped: boolean, atMs: number): void {
  const position = venue.positions.get(context.symbol);
  if (position === undefined) return;
  const lp = venue.liquidationPriceOf(position);
  const markUsdt = gapped ? clampToRange(context.price + context.basisUsdt, context.markRange) : lp;
  liquidate(venue, position, lp, markUsdt, atMs);
}

/**
 * BLUEPRINT "Paper fills" (Decided): an isolated position never loses more than its margin.
 * A closing fill whose mark would be at or beyond the liquidation price (a gap through both
 * the stop and the liquidation price) is a liquidation instead: the margin is lost, flagged.
 */
export function liquidatesInstead(
  venue: PaperVenue,
  context: WalkContext,
  record: PaperOrderRecord,
  fillPrice: number,
  atMs: number,
): boolean {
  const position = venue.positions.get(context.symbol);
  if (position === undefined || positionSign(position) === sideSign(record.state.side)) return false;
  const lp = venue.liquidationPriceOf(position);
  const markUsdt = clampToRange(fillPrice + context.basisUsdt, context.markRange);
  const beyond = position.side === 'long' ? lp > 0 && markUsdt <= lp : lp > 0 && markUsdt >= lp;
  if (!beyond) return false;
  liquidate(venue, position, lp, markUsdt, atMs);
  return true;
}

/**
 * The position is closed at its liquidation price and the whole isolated margin is lost —
 * the price loss down to the liquidation price plus Binance's clearance fee (the
 * maintenance margin that is left). Binance also cancels the symbol's open orders.
 */
function liquidate(venue: PaperVenue, position: MutablePosition, liquidationPrice: number, markPrice: number, atMs: number): void {
  const lossUsdt = Math.max(0, position.isolatedMarginUsdt);
  venue.walletBalanceUsdt -= lossUsdt;
  venue.positions.delete(position.symbol);
  venue.totals.liquidations += 1;
  venue.totals.liquidationLossUsdt += lossUsdt;
  venue.forcedCloses.push({ symbol: position.symbol, side: position.side, size: position.size, price: liquidationPrice, at: atMs });
  venue.logger.warn('paper liquidation', {
    symbol: position.symbol,
    side: position.side,
    size: position.size,
    entryPrice: position.entryPrice,
    liquidationPrice,
    markPrice,
    lossUsdt,
    at: new Date(atMs).toISOString(),
  });
  venue.emit({
    kind: 'liquidation',
    symbol: position.symbol,
    side: position.side,
    size: position.size,
    price: liquidationPrice,
    markPrice,
    lossUsdt,
    at: atMs,
  });
  for (const record of venue.book.openOf(position.symbol)) closeOrder(venue, record, 'expired', atMs);
}
