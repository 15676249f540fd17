/**
 * What an operator does by hand on the paper venue in the Control and command tests: open a
 * position with their own market order (the Trader adopts it, unknownPositions 'adopt'), and
 * move the price so that close orders fill and the position controller looks.
 */
import type { PaperExchange } from '../../src/adapters/paper/paper-exchange.js';
import type { Clock } from '../../src/engine/ports.js';
import type { PositionController } from '../../src/engine/position-controller.js';
import type { Trader } from '../../src/engine/trader.js';
import type { Side } from '../../src/engine/types.js';

export interface OperatorVenue {
  readonly paper: PaperExchange;
  readonly clock: Clock;
  /** Moves the test's clock on (a no-op when the test drives a clock of its own). */
  readonly advance: (ms: number) => void;
  readonly trader: Pick<Trader, 'reconcile'>;
  readonly controller: Pick<PositionController, 'tick'>;
}

export interface OperatorActions {
  /** An operator's own market order on the venue, filled at the next price, then adopted by the Trader. */
  readonly openAdopted: (symbol: string, side: Side, quantity: number, price: number) => Promise<void>;
  /** The next price reaches the venue (close orders fill at it), then the controller looks. */
  readonly nextPrice: (symbol: string, price: number) => Promise<void>;
}

export function operatorActions({ paper, clock, advance, trader, controller }: OperatorVenue): OperatorActions {
  return {
    async openAdopted(symbol, side, quantity, price) {
      paper.onTicker(symbol, price, price, clock.now());
      await paper.setLeverage(symbol, 5);
      paper.placeOrderNow({
        symbol,
        side: side === 'long' ? 'buy' : 'sell',
        type: 'market',
        quantity,
        reduceOnly: false,
        clientOrderId: `operator_${symbol}_${clock.now()}`,
      });
      advance(1_000);
      paper.onTicker(symbol, price, price, clock.now());
      await trader.reconcile();
    },
    async nextPrice(symbol, price) {
      advance(1_000);
      paper.onTicker(symbol, price, price, clock.now());
      await controller.tick();
    },
  };
}
