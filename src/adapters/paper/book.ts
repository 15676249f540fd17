/**
 * The paper venue's order book: every retained order by symbol and client id, in placement
 * order, and the open subset. Closed orders stay for `fetchOrder` and duplicate-id checks,
 * bounded by the history limit (the oldest go first).
 */
import { isOpenStatus } from '../../engine/types.js';
import type { PaperOrderRecord } from './types.js';

/** Prune retained order history in batches of this many beyond the limit. */
const HISTORY_PRUNE_SLACK = 100;

function orderKey(symbol: string, clientOrderId: string): string {
  return `${symbol}|${clientOrderId}`;
}

export class OrderBook {
  /** All retained orders by `symbol|clientOrderId`, in placement order. */
  private readonly orders = new Map<string, PaperOrderRecord>();
  /** The open subset of `orders`, same keys, placement order. */
  private readonly open = new Map<string, PaperOrderRecord>();

  constructor(private readonly historyLimit: number) {}

  has(symbol: string, clientOrderId: string): boolean {
    return this.orders.has(orderKey(symbol, clientOrderId));
  }

  /** A retained order, open or closed. */
  find(symbol: string, clientOrderId: string): PaperOrderRecord | undefined {
    return this.orders.get(orderKey(symbol, clientOrderId));
  }

  findOpen(symbol: string, clientOrderId: string): PaperOrderRecord | undefined {
    return this.open.get(orderKey(symbol, clientOrderId));
  }

  /** Adds an open order, or replaces it (same symbol and client id) keeping its place. */
  putOpen(record: PaperOrderRecord): void {
    const key = orderKey(record.state.symbol, record.state.clientOrderId);
    this.orders.set(key, record);
    this.open.set(key, record);
  }

  /** Moves an order out of the open book into the history (bounded). */
  finish(record: PaperOrderRecord): void {
    const key = orderKey(record.state.symbol, record.state.clientOrderId);
    this.orders.set(key, record);
    this.open.delete(key);
    const terminal = this.orders.size - this.open.size;
    if (terminal > this.historyLimit + HISTORY_PRUNE_SLACK) {
      let toDrop = terminal - this.historyLimit;
      for (const [k, r] of this.orders) {
        if (toDrop <= 0) break;
        if (isOpenStatus(r.state.status)) continue;
        this.orders.delete(k);
        toDrop--;
      }
    }
  }

  /** The open orders of all symbols, placement order (live view: do not fill while iterating). */
  openRecords(): IterableIterator<PaperOrderRecord> {
    return this.open.values();
  }

  get openCount(): number {
    return this.open.size;
  }

  hasOpen(symbol: string): boolean {
    for (const record of this.open.values()) if (record.state.symbol === symbol) return true;
    return false;
  }

  /** Snapshot of a symbol's open orders (safe to iterate while orders fill). */
  openOf(symbol: string): PaperOrderRecord[] {
    const result: PaperOrderRecord[] = [];
    for (const record of this.open.values()) if (record.state.symbol === symbol) result.push(record);
    return result;
  }

  /** Open orders and retained history, in placement order. */
  all(): PaperOrderRecord[] {
    return [...this.orders.values()];
  }

  /** Replaces the whole book with `records` (placement order). */
  restore(records: readonly PaperOrderRecord[]): void {
    this.orders.clear();
    this.open.clear();
    for (const record of records) {
      const key = orderKey(record.state.symbol, record.state.clientOrderId);
      this.orders.set(key, record);
      if (isOpenStatus(record.state.status)) this.open.set(key, record);
    }
  }
}
