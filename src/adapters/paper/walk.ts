/**
 * The walk along a price path (BLUEPRINT "Paper fills inside a candle (Decided)"): pending
 * market orders and first-seen limits at the first price, then stops, take-profits,
 * resting limits and liquidation where the path reaches them, one at a time.
 */
import { fill } from './fills.js';
import { pathFraction, pathLength, slippedPrice, triggeredFillPrice } from './intrabar.js';
import { fireLiquidation, liquidatesInstead, liquidationTrigger } from './liquidation.js';
import type { PaperOrderRecord } from './types.js';
import type { Direction, PaperVenue, Trigger, WalkContext } from './venue.js';

/**
 * Walks `path` (prices, first = open) from `startMs` over `durationMs`. At the first
 * price: pending market orders, first-seen limit orders, then anything the price is
 * already through (gap). Along each leg: the trigger the price reaches first, one at a
 * time, re-reading the book after each fill (a fill changes the position, the
 * liquidation price and which reduce-only orders still make sense).
 */
export function runWalk(venue: PaperVenue, context: WalkContext, path: readonly number[], startMs: number, durationMs: number): void {
  // Nothing can fill or liquidate on a symbol with no position and no open order.
  if (venue.isIdle(context.symbol)) return;
  const total = pathLength(path);
  const maxSteps = venue.book.openCount + 8;
  venue.walk = context;
  venue.simNowMs = startMs;
  try {
    settleFirstPrice(venue, context, startMs);
    let travelled = 0;
    for (let leg = 0; leg < path.length; leg++) {
      const target = path[leg]!;
      const direction: Direction | null = target < context.price ? 'fall' : target > context.price ? 'rise' : null;
      for (let step = 0; step < maxSteps + venue.book.openCount; step++) {
        const trigger = nextTrigger(venue, context, direction, target);
        if (trigger === null) break;
        const reached = trigger.direction === 'fall' ? Math.min(trigger.level, context.price) : Math.max(trigger.level, context.price);
        const gapped = trigger.direction === 'fall' ? trigger.level > context.price : trigger.level < context.price;
        travelled += Math.abs(context.price - reached);
        context.price = reached;
        const atMs = startMs + Math.round(durationMs * pathFraction(travelled, total));
        venue.simNowMs = atMs;
        fire(venue, context, trigger, gapped, atMs);
      }
      travelled += Math.abs(target - context.price);
      context.price = target;
    }
  } finally {
    venue.walk = null;
    venue.simNowMs = null;
  }
}

/** (a) Market orders at the first price ± slippage; limit orders that cross it take liquidity there. */
function settleFirstPrice(venue: PaperVenue, context: WalkContext, atMs: number): void {
  const { symbol, price } = context;
  const open = venue.book.openOf(symbol);
  if (open.length === 0) return;
  const tickSize = venue.rulesOf(symbol).filters.tickSize;
  for (const record of open) {
    if (record.state.type !== 'market') continue;
    const fillPrice = slippedPrice(record.state.side, price, venue.slippageRate, tickSize);
    if (liquidatesInstead(venue, context, record, fillPrice, atMs)) continue;
    fill(venue, record, fillPrice, venue.takerFeeRate, atMs);
  }
  for (const record of venue.book.openOf(symbol)) {
    if (record.state.type !== 'limit' || record.resting) continue;
    const limit = record.state.price!;
    const buy = record.state.side === 'buy';
    const crosses = buy ? price <= limit : price >= limit;
    if (crosses) {
      const slipped = slippedPrice(record.state.side, price, venue.slippageRate, tickSize);
      fill(venue, record, buy ? Math.min(slipped, limit) : Math.max(slipped, limit), venue.takerFeeRate, atMs);
    } else {
      venue.book.putOpen({ ...record, resting: true });
    }
  }
}

/**
 * The trigger the price reaches first from `context.price` moving to `target`
 * (`direction` null: staying put). Triggers the price is already through fire at once.
 * Ties: orders before liquidation (the stop is on the book first), then placement order.
 */
function nextTrigger(venue: PaperVenue, context: WalkContext, direction: Direction | null, target: number): Trigger | null {
  // A loop instead of a closure: this runs several times per candle (hot path of backtests).
  let best: Trigger | null = null;
  let bestDistance = Infinity;
  const candidates: (Trigger | null)[] = [];
  for (const record of venue.book.openRecords()) if (record.state.symbol === context.symbol) candidates.push(orderTrigger(record));
  candidates.push(liquidationTrigger(venue, context));
  for (const trigger of candidates) {
    if (trigger === null) continue;
    const through = trigger.direction === 'fall' ? trigger.level >= context.price : trigger.level <= context.price;
    let distance: number;
    if (through) distance = 0;
    else if (trigger.direction !== direction) continue;
    else if (direction === 'fall' ? trigger.level < target : trigger.level > target) continue;
    else distance = Math.abs(context.price - trigger.level);
    if (best === null || distance < bestDistance || (distance === bestDistance && triggerRank(trigger) < triggerRank(best))) {
      best = trigger;
      bestDistance = distance;
    }
  }
  return best;
}

function fire(venue: PaperVenue, context: WalkContext, trigger: Trigger, gapped: boolean, atMs: number): void {
  const record = trigger.record;
  if (record === null) {
    fireLiquidation(venue, context, gapped, atMs);
    return;
  }
  const { side, type } = record.state;
  if (type === 'limit') {
    fill(venue, record, record.state.price!, venue.makerFeeRate, atMs);
    return;
  }
  // stop_market / take_profit_market: a market order once triggered.
  const tickSize = venue.rulesOf(context.symbol).filters.tickSize;
  const price = gapped
    ? context.price
    : triggeredFillPrice(side, record.state.stopPrice!, venue.slippageRate, tickSize, context.low, context.high);
  if (liquidatesInstead(venue, context, record, price, atMs)) return;
  fill(venue, record, price, venue.takerFeeRate, atMs);
}

/**
 * Where an open order fires on the path. Stops sell on the way down and buy on the way
 * up; take-profits the opposite; a resting limit buys at or below its price and sells at
 * or above. Market orders and limits not yet resting are handled at the first price.
 */
function orderTrigger(record: PaperOrderRecord): Trigger | null {
  const { type, side, stopPrice, price } = record.state;
  switch (type) {
    case 'stop_market':
      return { record, direction: side === 'sell' ? 'fall' : 'rise', level: stopPrice! };
    case 'take_profit_market':
      return { record, direction: side === 'sell' ? 'rise' : 'fall', level: stopPrice! };
    case 'limit':
      return record.resting ? { record, direction: side === 'buy' ? 'fall' : 'rise', level: price! } : null;
    case 'market':
      return null;
  }
}

function triggerRank(trigger: Trigger): number {
  return trigger.record === null ? Number.MAX_SAFE_INTEGER : trigger.record.seq;
}
