/**
 * Feeds replayed candles to the paper exchange in the two halves the engine loop needs
 * (src/engine/replay-loop.ts): the open first (orders waiting for the next price fill
 * there, and the engine places the stop of a fresh entry), then the rest of the path.
 * `PaperExchange` implements both halves itself (`openCandle` / `finishCandle`, with the
 * hour's mark basis kept per symbol); this keeps the loop's dependency on the narrow
 * `SimulatedVenue` interface.
 */
import type { ClosedCandle } from '../../engine/ports.js';
import type { SimulatedVenue } from '../../engine/replay-loop.js';
import type { PaperExchange } from './paper-exchange.js';

export function paperVenueFeed(paper: PaperExchange): SimulatedVenue {
  return {
    openCandle(closed: ClosedCandle): void {
      paper.openCandle(closed);
    },
    finishCandle(closed: ClosedCandle): void {
      paper.finishCandle(closed);
    },
  };
}
