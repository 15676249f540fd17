/**
 * Feeds replayed candles to the paper exchange in the two halves the engine loop needs
 * (src/engine/replay-loop.ts): the open first (orders waiting for the next price fill
 * there, and the engine places the stop of a fresh entry), then the rest of the path.
 */
import type { ClosedCandle } from '../../engine/ports.js';
import type { SimulatedVenue } from '../../engine/replay-loop.js';
import type { PaperExchange } from './paper-exchange.js';

export function paperVenueFeed(paper: PaperExchange): SimulatedVenue {
  return {
    openCandle(closed: ClosedCandle): void {
      const { symbol, candle, mark } = closed;
      // At the hour's first candle the basis is mark.open − trade open (BLUEPRINT "Paper fills");
      // inside the hour the exchange keeps the basis it has (null).
      const markAtOpen = mark !== null && mark.timestamp === candle.timestamp ? mark.open : null;
      paper.onTicker(symbol, candle.open, markAtOpen, candle.timestamp);
    },
    finishCandle(closed: ClosedCandle): void {
      paper.onCandle(closed);
    },
  };
}
