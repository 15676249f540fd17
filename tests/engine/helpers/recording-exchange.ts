/**
 * An Exchange that wraps another and records every call (method, arguments, priority,
 * clock time) in order, into a journal it can share with other recorders (persist,
 * recordTrade) so tests can assert "stored before sent". A call can be held until the
 * test releases it (a slow venue) or made to fail once.
 */
import type { Clock, Exchange, Priority } from '../../../src/engine/ports.js';
import type {
  Balance,
  ExchangePosition,
  ForcedClose,
  FundingPayment,
  OrderRequest,
  OrderState,
  SymbolRules,
} from '../../../src/engine/types.js';

export type ExchangeMethod = Exclude<keyof Exchange, 'kind'>;

export interface JournalEntry {
  /** `exchange.<method>` or whatever another recorder writes (e.g. `persist`). */
  readonly what: string;
  readonly at: number;
  /** The client order id / symbol / reason the call was about, when there is one. */
  readonly detail: string | null;
  readonly priority: Priority | null;
}

/** A call held until `release()`; `reached` resolves once the call has arrived. */
export interface Hold {
  readonly reached: Promise<void>;
  release(): void;
}

interface PendingHold {
  readonly gate: Promise<void>;
  readonly release: () => void;
  readonly arrive: () => void;
  readonly after: boolean;
}

export class RecordingExchange implements Exchange {
  readonly kind: Exchange['kind'];
  private readonly holds = new Map<ExchangeMethod, PendingHold[]>();
  private readonly failures = new Map<ExchangeMethod, Error[]>();

  constructor(
    private readonly inner: Exchange,
    private readonly clock: Clock,
    readonly journal: JournalEntry[] = [],
  ) {
    this.kind = inner.kind;
  }

  /** Entries of exchange calls of `method` (all exchange calls when omitted). */
  calls(method?: ExchangeMethod): JournalEntry[] {
    return this.journal.filter((e) => (method === undefined ? e.what.startsWith('exchange.') : e.what === `exchange.${method}`));
  }

  count(method: ExchangeMethod): number {
    return this.calls(method).length;
  }

  /**
   * The next call of `method` waits until `release()`. With `after`, the inner call runs at
   * once and only its answer is held (the venue acted; the response is slow).
   */
  holdNext(method: ExchangeMethod, options: { after?: boolean } = {}): Hold {
    let release!: () => void;
    let arrive!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const list = this.holds.get(method) ?? [];
    list.push({ gate, release, arrive, after: options.after === true });
    this.holds.set(method, list);
    return { reached, release };
  }

  /** The next call of `method` rejects with `error` (the inner exchange is not called). */
  failNext(method: ExchangeMethod, error: Error): void {
    const list = this.failures.get(method) ?? [];
    list.push(error);
    this.failures.set(method, list);
  }

  private async around<T>(method: ExchangeMethod, detail: string | null, priority: Priority | null, call: () => Promise<T>): Promise<T> {
    this.journal.push({ what: `exchange.${method}`, at: this.clock.now(), detail, priority });
    const hold = this.holds.get(method)?.shift();
    if (hold !== undefined && !hold.after) {
      hold.arrive();
      await hold.gate;
    }
    const failure = this.failures.get(method)?.shift();
    if (failure !== undefined) throw failure;
    const result = await call();
    if (hold !== undefined && hold.after) {
      hold.arrive();
      await hold.gate;
    }
    return result;
  }

  loadRules(symbols: readonly string[]): Promise<Map<string, SymbolRules>> {
    return this.around('loadRules', symbols.join(','), null, () => this.inner.loadRules(symbols));
  }
  setIsolatedMargin(symbol: string): Promise<void> {
    return this.around('setIsolatedMargin', symbol, null, () => this.inner.setIsolatedMargin(symbol));
  }
  setLeverage(symbol: string, leverage: number): Promise<void> {
    return this.around('setLeverage', symbol, null, () => this.inner.setLeverage(symbol, leverage));
  }
  placeOrder(request: OrderRequest, priority: Priority): Promise<OrderState> {
    return this.around('placeOrder', request.clientOrderId, priority, () => this.inner.placeOrder(request, priority));
  }
  cancelOrder(symbol: string, clientOrderId: string, priority: Priority): Promise<void> {
    return this.around('cancelOrder', clientOrderId, priority, () => this.inner.cancelOrder(symbol, clientOrderId, priority));
  }
  fetchOrder(symbol: string, clientOrderId: string): Promise<OrderState | null> {
    return this.around('fetchOrder', clientOrderId, null, () => this.inner.fetchOrder(symbol, clientOrderId));
  }
  fetchOpenOrders(symbol?: string): Promise<OrderState[]> {
    return this.around('fetchOpenOrders', symbol ?? null, null, () => this.inner.fetchOpenOrders(symbol));
  }
  fetchPositions(priority: Priority): Promise<ExchangePosition[]> {
    return this.around('fetchPositions', null, priority, () => this.inner.fetchPositions(priority));
  }
  fetchBalance(): Promise<Balance> {
    return this.around('fetchBalance', null, null, () => this.inner.fetchBalance());
  }
  fetchFundingPayments(symbol: string, sinceMs: number): Promise<FundingPayment[]> {
    return this.around('fetchFundingPayments', symbol, null, () => this.inner.fetchFundingPayments(symbol, sinceMs));
  }
  fetchForcedCloses(symbol: string, sinceMs: number): Promise<ForcedClose[]> {
    return this.around('fetchForcedCloses', symbol, null, () => this.inner.fetchForcedCloses(symbol, sinceMs));
  }
}

/** Lets every promise chain that is ready run (no timers involved). Bounded. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
