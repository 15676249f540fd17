/**
 * One closed-candle batch through the engine on a simulated venue (replay and backtest;
 * BLUEPRINT "Loops and lanes", Decided: in replay the controller evaluates at every
 * candle close and the paper exchange fills inside the candle).
 *
 * For each batch (all symbols of one open time), in the order live trading sees it:
 *   1. clock → candle open; the venue fills orders waiting for the next price (entries
 *      decided at the previous close) at this open;
 *   2. if an entry filled, the controller ticks at once: its SL/TP go on the book before
 *      the candle's path is walked, as a live stop is on the book a moment after its fill;
 *   3. the venue walks the candle's path (stops, take-profits, liquidation, funding);
 *   4. clock → candle close; if anything filled inside the candle, the controller records
 *      it first (live, the 2 s controller has long seen a stop-out before the next decision);
 *   5. the Trader decides on the closed candle; the controller ticks.
 * A decision at candle t sees only data up to t's close; its fills happen after it.
 */
import type { ClosedCandle, ManualClockLike } from './ports.js';
import type { PositionController } from './position-controller.js';
import { NOTHING_TO_DO, type Trader } from './trader.js';

/** What the loop needs of a simulated venue (the paper exchange). */
export interface SimulatedVenue {
  /** Fills orders that wait for the next price at this candle's open. */
  openCandle(closed: ClosedCandle): void;
  /** Walks the candle's intrabar path: stops, take-profits, liquidation, funding. True when an order filled or a position was liquidated. */
  finishCandle(closed: ClosedCandle): boolean;
}

export interface ReplayStepDeps {
  readonly clock: ManualClockLike;
  readonly venue: SimulatedVenue;
  readonly trader: Trader;
  readonly controller: PositionController;
  readonly candleMs: number;
  /** Open time of the last candle the venue finished, per symbol (replay resumes after it). */
  readonly lastCandleAt: Record<string, number>;
}

export function replayStep(deps: ReplayStepDeps, batch: readonly ClosedCandle[]): Promise<void> {
  const first = batch[0];
  if (first === undefined) return NOTHING_TO_DO;
  const openAt = first.candle.timestamp;
  deps.clock.set(openAt);
  for (const closed of batch) deps.venue.openCandle(closed);
  if (deps.trader.hasPendingEntries()) return deps.controller.tick().then(() => finishStep(deps, batch, openAt));
  return finishStep(deps, batch, openAt);
}

/** Steps 3–5. Synchronous (no promise made) when nothing filled and the Trader has nothing to send or evaluate. */
function finishStep(deps: ReplayStepDeps, batch: readonly ClosedCandle[], openAt: number): Promise<void> {
  let filled = false;
  for (const closed of batch) {
    if (deps.venue.finishCandle(closed)) filled = true;
    deps.lastCandleAt[closed.symbol] = closed.candle.timestamp;
  }
  deps.clock.set(openAt + deps.candleMs);
  if (filled) return deps.controller.tick().then(() => decide(deps, batch));
  return decide(deps, batch);
}

/** Step 5: the decision at the close, then a controller tick when there is anything to evaluate. */
function decide(deps: ReplayStepDeps, batch: readonly ClosedCandle[]): Promise<void> {
  const decided = deps.trader.onCandles(batch);
  if (decided === NOTHING_TO_DO) return deps.trader.hasWork() ? deps.controller.tick() : NOTHING_TO_DO;
  return decided.then(() => (deps.trader.hasWork() ? deps.controller.tick() : undefined));
}
