/**
 * The price feed of the paper venue: a closed candle in two phases (`openCandle` at the
 * open, `finishCandle` along the intrabar path and at the close) or a single live ticker,
 * and the per-symbol market state (last prices, the hour's mark basis, funding settled).
 * See PaperExchange's doc comments for the phases.
 */
import type { ClosedCandle } from '../../engine/ports.js';
import { settleFunding } from './funding.js';
import { intrabarPath } from './intrabar.js';
import { expireOrphanReduceOnly } from './orders.js';
import { clampToRange, type MutableMarketState, type PaperVenue, type WalkContext } from './venue.js';
import { runWalk } from './walk.js';

/** First phase of a candle: fills at the open; the venue's price is the open. */
export function openCandle(venue: PaperVenue, closed: ClosedCandle): void {
  if (venue.isIdle(closed.symbol)) {
    advanceIdle(venue, closed, false);
    return;
  }
  const context = candleContext(venue, closed);
  if (context === null) return;
  const { candle } = closed;
  runWalk(venue, context, [candle.open], candle.timestamp, venue.candleIntervalMs);
  const market = venue.markets.get(closed.symbol);
  venue.markets.set(closed.symbol, {
    lastPrice: candle.open,
    lastMarkPrice: clampToRange(candle.open + context.basisUsdt, context.markRange),
    lastAt: market?.lastAt ?? candle.timestamp,
    basisHourMs: closed.mark === null ? (market?.basisHourMs ?? null) : closed.mark.timestamp,
    basisUsdt: closed.mark === null ? (market?.basisUsdt ?? 0) : context.basisUsdt,
    fundingSettledMs: market?.fundingSettledMs ?? candle.timestamp,
  });
}

/** Second phase: the intrabar walk, funding, orphan reduce-only expiry. Returns whether anything filled or liquidated. */
export function finishCandle(venue: PaperVenue, closed: ClosedCandle): boolean {
  if (venue.isIdle(closed.symbol)) {
    advanceIdle(venue, closed, true);
    return false;
  }
  const { symbol, candle, mark } = closed;
  const context = candleContext(venue, closed);
  if (context === null) return false;
  const activityBefore = venue.totals.fills + venue.totals.liquidations;
  const closeMs = candle.timestamp + venue.candleIntervalMs;
  const market = venue.markets.get(symbol);
  runWalk(venue, context, intrabarPath(candle), candle.timestamp, venue.candleIntervalMs);

  const markAtCloseUsdt =
    mark !== null && closeMs === mark.timestamp + venue.markIntervalMs
      ? mark.close
      : clampToRange(candle.close + context.basisUsdt, context.markRange);
  settleFunding(venue, symbol, market?.fundingSettledMs ?? candle.timestamp, closeMs, markAtCloseUsdt);
  expireOrphanReduceOnly(venue, symbol, closeMs);
  venue.markets.set(symbol, {
    lastPrice: candle.close,
    lastMarkPrice: markAtCloseUsdt,
    lastAt: closeMs,
    basisHourMs: mark === null ? (market?.basisHourMs ?? null) : mark.timestamp,
    basisUsdt: mark === null ? (market?.basisUsdt ?? 0) : context.basisUsdt,
    fundingSettledMs: closeMs,
  });
  return venue.totals.fills + venue.totals.liquidations !== activityBefore;
}

/**
 * The cheap path of `openCandle`/`finishCandle` for an idle symbol (most candles of a
 * backtest): only the market state moves, with the same prices, basis and times the full
 * path would record. Allocation-free once the symbol's market state exists.
 */
function advanceIdle(venue: PaperVenue, closed: ClosedCandle, finished: boolean): void {
  const { symbol, candle, mark } = closed;
  const closeMs = candle.timestamp + venue.candleIntervalMs;
  const market = venue.markets.get(symbol) as MutableMarketState | undefined;
  if (market !== undefined && closeMs <= market.lastAt) {
    venue.logger.warn('paper candle ignored: not after the last one seen', { symbol, candleAt: candle.timestamp, lastAt: market.lastAt });
    return;
  }
  // As `candleContext`: the candle's basis is 0 without a mark candle, while the stored
  // basis of the hour is kept for later candles.
  const candleBasisUsdt =
    mark === null ? 0 : market !== undefined && market.basisHourMs === mark.timestamp ? market.basisUsdt : mark.open - candle.open;
  const basisUsdt = mark === null ? (market?.basisUsdt ?? 0) : candleBasisUsdt;
  const price = finished ? candle.close : candle.open;
  const markPrice =
    finished && mark !== null && closeMs === mark.timestamp + venue.markIntervalMs
      ? mark.close
      : mark === null
        ? price
        : Math.min(mark.high, Math.max(mark.low, price + candleBasisUsdt));
  const basisHourMs = mark === null ? (market?.basisHourMs ?? null) : mark.timestamp;
  if (market === undefined) {
    venue.markets.set(symbol, {
      lastPrice: price,
      lastMarkPrice: markPrice,
      lastAt: finished ? closeMs : candle.timestamp,
      basisHourMs,
      basisUsdt,
      fundingSettledMs: finished ? closeMs : candle.timestamp,
    });
    return;
  }
  market.lastPrice = price;
  market.lastMarkPrice = markPrice;
  market.basisHourMs = basisHourMs;
  market.basisUsdt = basisUsdt;
  if (finished) {
    market.lastAt = closeMs;
    market.fundingSettledMs = closeMs;
  }
}

/** The walk context at the candle's open, or null (logged) for a candle not after the last finished one. */
function candleContext(venue: PaperVenue, closed: ClosedCandle): WalkContext | null {
  const { symbol, candle, mark } = closed;
  const market = venue.markets.get(symbol);
  if (market !== undefined && candle.timestamp + venue.candleIntervalMs <= market.lastAt) {
    venue.logger.warn('paper candle ignored: not after the last one seen', { symbol, candleAt: candle.timestamp, lastAt: market.lastAt });
    return null;
  }
  let basisUsdt = 0;
  if (mark !== null) {
    basisUsdt = market !== undefined && market.basisHourMs === mark.timestamp ? market.basisUsdt : mark.open - candle.open;
  }
  return {
    symbol,
    price: candle.open,
    basisUsdt,
    markRange: mark === null ? null : { low: mark.low, high: mark.high },
    low: candle.low,
    high: candle.high,
  };
}

/** Live market data on the paper venue: the walk at a single price, funding up to `timestampMs`. */
export function onTicker(venue: PaperVenue, symbol: string, price: number, markPrice: number | null, timestampMs: number): void {
  const market = venue.markets.get(symbol);
  if (market !== undefined && timestampMs < market.lastAt) return;
  const basisUsdt = markPrice === null ? (market?.basisUsdt ?? 0) : markPrice - price;
  runWalk(venue, { symbol, price, basisUsdt, markRange: null, low: price, high: price }, [price], timestampMs, 0);
  const markUsdt = markPrice ?? price + basisUsdt;
  settleFunding(venue, symbol, market?.fundingSettledMs ?? timestampMs, timestampMs, markUsdt);
  expireOrphanReduceOnly(venue, symbol, timestampMs);
  venue.markets.set(symbol, {
    lastPrice: price,
    lastMarkPrice: markUsdt,
    lastAt: timestampMs,
    basisHourMs: Math.floor(timestampMs / venue.markIntervalMs) * venue.markIntervalMs,
    basisUsdt,
    fundingSettledMs: Math.max(timestampMs, market?.fundingSettledMs ?? timestampMs),
  });
}
