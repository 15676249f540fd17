/**
 * Fees and average prices of filled orders, from their fills. Binance order payloads carry no
 * commission, so a filled order's fee (and its average price when the payload has none) comes
 * from GET /fapi/v1/userTrades by orderId (weight 5, lane 2) — for a conditional order, the
 * fills of the order its trigger sent (`actualOrderId`). Fills of final orders are kept, so
 * each order costs one such read. A failed read never fails the order: its fee stays 0 and a
 * warning is logged.
 */
import type { Clock, Logger } from '../../engine/ports.js';
import { isOpenStatus, type OrderState } from '../../engine/types.js';
import type { BinanceCall, BinanceUsdmClient } from './client.js';
import { asRecord, fillsOrderId, parseOrder, summariseFills, type FillSummary } from './parse.js';

/** GET /fapi/v1/userTrades answers at most 1000 rows; one order of this bot has far fewer fills. */
const USER_TRADES_LIMIT = 1000;
/** Fills of this many final orders are kept (oldest dropped first). */
const FILLS_CACHE_SIZE = 512;

/**
 * placeOrder waits at most this long for a filled order's fills: the read is on lane 2,
 * which a rate-limit block holds, and the caller (a close, the stop after an entry) must
 * not wait on bookkeeping. The read goes on; a later fetchOrder gets its result.
 */
export const FEE_READ_MAX_WAIT_MS = 2_000;

/** An order as placed or read, with the id its fills are filed under. */
export interface FetchedOrder {
  readonly order: OrderState;
  /** orderId of its userTrades rows: its own, or a triggered conditional's actualOrderId; null if none yet. */
  readonly fillsOrderId: string | null;
  readonly conditional: boolean;
}

export function fetched(info: unknown, conditional: boolean, nowMs: number): FetchedOrder {
  const raw = asRecord(info);
  return { order: parseOrder(raw, nowMs), fillsOrderId: fillsOrderId(raw), conditional };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface OrderFillsOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The adapter's request path (lanes, error mapping, time resync). */
  readonly call: <T>(call: BinanceCall, run: (ex: BinanceUsdmClient) => Promise<T>) => Promise<T>;
}

export class OrderFills {
  /** `symbol:orderId` → fills of a final order (or the read in flight), oldest first. */
  private readonly fillsByOrder = new Map<string, Promise<FillSummary | null>>();
  /** Commission assets other than USDT already warned about (once each). */
  private readonly warnedFeeAssets = new Set<string>();

  constructor(private readonly options: OrderFillsOptions) {}

  /**
   * The order with `feeUsdt` = Σ USDT commission of its fills, and `averagePrice` =
   * Σ price·qty / Σ qty of its fills when the payload had none. Unchanged when nothing
   * filled, the fills cannot be read, or there are none yet.
   */
  async withFees(found: FetchedOrder): Promise<OrderState> {
    const { order, fillsOrderId: orderId } = found;
    if (order.filledQuantity <= 0 || orderId === null) return order;
    // An algo payload has no executedQty: its filled quantity is assumed, not a check on the fills.
    const expectedQuantity = found.conditional ? null : order.filledQuantity;
    const fills = await this.fillsOf(order.symbol, orderId, !isOpenStatus(order.status), expectedQuantity);
    if (fills === null || fills.fillCount === 0) return order;
    return { ...order, feeUsdt: fills.feeUsdt, averagePrice: order.averagePrice ?? fills.averagePrice };
  }

  /** withFees, but never waiting longer than `waitMs` (clock time) for the fills. */
  async withFeesWithin(found: FetchedOrder, waitMs: number): Promise<OrderState> {
    if (found.order.filledQuantity <= 0 || found.fillsOrderId === null) return found.order;
    let cancel = (): void => {};
    const deadline = new Promise<OrderState>((resolve) => {
      cancel = this.options.clock.setTimer(waitMs, () => {
        this.options.logger.warn('order fills not read in time; returned with fee 0, the fee follows on the next order read', {
          clientOrderId: found.order.clientOrderId,
          waitMs,
        });
        resolve(found.order);
      });
    });
    try {
      return await Promise.race([this.withFees(found), deadline]);
    } finally {
      cancel();
    }
  }

  /**
   * Fills of one order, shared by concurrent readers. A final order's fills are kept once
   * complete (all of `expectedQuantity`, or any fill when that is unknown), so reading it
   * again costs no request. Never rejects: null when the read failed.
   */
  private fillsOf(symbol: string, orderId: string, final: boolean, expectedQuantity: number | null): Promise<FillSummary | null> {
    const key = `${symbol}:${orderId}`;
    const known = this.fillsByOrder.get(key);
    if (known !== undefined) return known;
    const read = this.readFills(symbol, orderId);
    if (!final) return read;
    this.fillsByOrder.set(key, read);
    if (this.fillsByOrder.size > FILLS_CACHE_SIZE) {
      const oldest = this.fillsByOrder.keys().next().value;
      if (oldest !== undefined) this.fillsByOrder.delete(oldest);
    }
    void read.then((fills) => {
      const complete =
        fills !== null && fills.fillCount > 0 && (expectedQuantity === null || fills.quantity >= expectedQuantity * (1 - 1e-9));
      // Not complete (failed, or Binance has not listed every fill yet): read again next time.
      if (!complete && this.fillsByOrder.get(key) === read) this.fillsByOrder.delete(key);
    });
    return read;
  }

  /** GET /fapi/v1/userTrades by orderId (weight 5, lane 2). */
  private async readFills(symbol: string, orderId: string): Promise<FillSummary | null> {
    const params = { symbol, orderId, limit: USER_TRADES_LIMIT };
    try {
      const response = await this.options.call({ priority: 2, endpoint: 'GET /fapi/v1/userTrades', params }, (e) =>
        e.fapiPrivateGetUserTrades(params),
      );
      const fills = summariseFills(response, orderId);
      for (const [asset, commission] of fills.otherFees) {
        if (this.warnedFeeAssets.has(asset)) continue;
        this.warnedFeeAssets.add(asset);
        this.options.logger.warn('commission paid in a non-USDT asset is left out of trade fees', { asset, symbol, orderId, commission });
      }
      return fills;
    } catch (error) {
      this.options.logger.warn('order fills could not be read; the fee is recorded as 0', { symbol, orderId, error: describeError(error) });
      return null;
    }
  }
}
