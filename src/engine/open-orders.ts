/**
 * Open orders, regular and conditional (algo), listed at start and on a slow cadence
 * (issue 9, "Open orders are never listed"):
 *
 *  - a reduce-only order on a symbol with no position is a leftover (its position closed,
 *    by a stop or by hand): cancelled on lane 0, since it could fire against a later one;
 *  - an order of this bot (its client id prefix) that the engine does not track, on a symbol
 *    with a position, is a duplicate (a crash while it was in flight): cancelled;
 *  - an order the bot did not place is reported by symbol and client id, and cancelled only
 *    when FOREIGN_ORDERS=cancel.
 *
 * One listing costs two requests of weight 40 (every symbol, lane 2) plus the positions
 * (weight 5): every 5 minutes that is about 17 weight a minute.
 */
import { isOurClientOrderId } from './client-order-id.js';
import type { Clock, Exchange, Logger } from './ports.js';
import { isOpenStatus, type OrderState } from './types.js';
import { InvalidOrderError, describeError } from '../errors.js';

export const DEFAULT_OPEN_ORDERS_EVERY_MS = 5 * 60_000;

export interface OpenOrderSweepDeps {
  readonly exchange: Exchange;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Client ids the engine tracks (positions' stops, take-profits, closes, pending intents). */
  readonly ownedIds: () => ReadonlySet<string>;
  readonly foreignOrders: 'report' | 'cancel';
  readonly everyMs?: number;
}

export interface SweptOrder {
  readonly symbol: string;
  readonly clientOrderId: string;
  readonly why: string;
}

export interface SweepResult {
  readonly listed: number;
  readonly cancelled: readonly SweptOrder[];
  readonly foreign: readonly SweptOrder[];
}

export class OpenOrderSweeper {
  private cancelTimer: (() => void) | null = null;
  private running: Promise<SweepResult | null> | null = null;
  private readonly log: Logger;

  constructor(private readonly deps: OpenOrderSweepDeps) {
    this.log = deps.logger.child('open-orders');
  }

  /** Sweeps now, then every `everyMs`. */
  start(): void {
    if (this.cancelTimer !== null) return;
    const every = this.deps.everyMs ?? DEFAULT_OPEN_ORDERS_EVERY_MS;
    const loop = (): void => {
      this.cancelTimer = this.deps.clock.setTimer(every, () => {
        void this.sweepQuietly().finally(loop);
      });
    };
    void this.sweepQuietly();
    loop();
  }

  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** The sweep in progress, if any (shutdown, tests). */
  settled(): Promise<unknown> {
    return this.running ?? Promise.resolve();
  }

  private sweepQuietly(): Promise<SweepResult | null> {
    this.running ??= this.sweep()
      .catch((error: unknown) => {
        this.log.warn('open orders could not be listed; trying again later', { error: describeError(error) });
        return null;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** One listing: cancels leftovers and untracked duplicates, reports foreign orders. */
  async sweep(): Promise<SweepResult> {
    const [orders, positions] = await Promise.all([this.deps.exchange.fetchOpenOrders(), this.deps.exchange.fetchPositions(2)]);
    const withPosition = new Set(positions.filter((p) => p.size > 0).map((p) => p.symbol));
    // Read after the listing: an order placed meanwhile is already tracked.
    const owned = this.deps.ownedIds();
    const cancelled: SweptOrder[] = [];
    const foreign: SweptOrder[] = [];
    for (const order of orders) {
      if (!isOpenStatus(order.status)) continue;
      if (owned.has(order.clientOrderId)) continue;
      const ours = isOurClientOrderId(order.clientOrderId);
      let why: string | null = null;
      if (order.reduceOnly && !withPosition.has(order.symbol)) why = 'reduce-only order on a symbol with no position';
      else if (ours && order.reduceOnly) why = 'untracked duplicate of this bot';
      else if (!ours && this.deps.foreignOrders === 'cancel') why = 'not placed by this bot (FOREIGN_ORDERS=cancel)';
      if (why === null) {
        if (!ours) foreign.push({ symbol: order.symbol, clientOrderId: order.clientOrderId, why: 'not placed by this bot' });
        continue;
      }
      if (await this.cancel(order, why)) cancelled.push({ symbol: order.symbol, clientOrderId: order.clientOrderId, why });
    }
    for (const order of foreign) {
      this.log.warn('open order not placed by this bot (left alone; FOREIGN_ORDERS=cancel cancels such orders)', {
        symbol: order.symbol,
        clientOrderId: order.clientOrderId,
      });
    }
    if (cancelled.length > 0 || foreign.length > 0) {
      this.log.info('open orders checked', { listed: orders.length, cancelled: cancelled.length, foreign: foreign.length });
    }
    return { listed: orders.length, cancelled, foreign };
  }

  private async cancel(order: OrderState, why: string): Promise<boolean> {
    try {
      await this.deps.exchange.cancelOrder(order.symbol, order.clientOrderId, 0);
      this.log.warn(`cancelled an open order: ${why}`, {
        symbol: order.symbol,
        clientOrderId: order.clientOrderId,
        type: order.type,
        side: order.side,
      });
      return true;
    } catch (error) {
      // Already gone (filled or cancelled meanwhile): nothing left to do.
      if (error instanceof InvalidOrderError) return false;
      this.log.warn('could not cancel an open order; trying again at the next listing', {
        symbol: order.symbol,
        clientOrderId: order.clientOrderId,
        error: describeError(error),
      });
      return false;
    }
  }
}
