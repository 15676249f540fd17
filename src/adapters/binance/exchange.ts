/**
 * The live venue: Binance USDⓈ-M perpetual futures through ccxt `binanceusdm`.
 *
 * Every request goes through the RequestScheduler (lane, weight, order count) via
 * BinanceClient; errors are mapped once (errors.ts). Orders are idempotent: the
 * engine's deterministic client order id is sent as `newClientOrderId` (regular
 * orders) or `clientAlgoId` (conditional orders), and an order whose outcome is
 * unknown is queried by that id before anything is resent (STYLE.md §5, nautilus:
 * reconcile, never blindly retry).
 *
 * ccxt 4.5.84 quirk: STOP_MARKET / TAKE_PROFIT_MARKET orders on linear swaps go to
 * Binance's algo service (POST /fapi/v1/algoOrder, id field `clientAlgoId`, payload
 * `algoId` / `algoStatus`), so fetching and cancelling them needs `{ trigger: true }`
 * (GET/DELETE /fapi/v1/algoOrder) and open ones are listed by /fapi/v1/openAlgoOrders.
 *
 * Fees: order payloads carry no commission, so a filled order's fee (and its average
 * price when the payload has none) comes from its fills, GET /fapi/v1/userTrades by
 * orderId (weight 5) — for a conditional order, the fills of the order its trigger sent
 * (`actualOrderId`). Fills of final orders are kept, so each order costs one such read.
 * A failed read never fails the order: its fee stays 0 and a warning is logged.
 */
import {
  InvalidOrderError,
  OrderUncertainError,
  type TraderError,
} from '../../errors.js';
import type { RequestScheduler } from '../../engine/execution/types.js';
import type { Clock, Exchange, Logger, Priority } from '../../engine/ports.js';
import type {
  Balance,
  ExchangePosition,
  ForcedClose,
  FundingPayment,
  LeverageBracket,
  OrderRequest,
  OrderState,
  SymbolRules,
} from '../../engine/types.js';
import { lazyBinanceClient, type BinanceCall, type BinanceClient, type BinanceUsdmClient } from './client.js';
import { binanceErrorCode } from './errors.js';
import {
  asRecord,
  fillsOrderId,
  num,
  parseAccountBalance,
  parseForcedCloses,
  parseFundingPayments,
  parseLeverageBrackets,
  parseOrder,
  parsePositions,
  parseSymbolFilters,
  summariseFills,
  type FillSummary,
  type Raw,
} from './parse.js';

/** Binance's rule for client order ids (newClientOrderId / clientAlgoId). */
export const CLIENT_ORDER_ID_PATTERN = /^[.A-Z:/a-z0-9_-]{1,36}$/;

/** exchangeInfo and leverage brackets are reloaded when older than this. */
export const RULES_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Binance: order does not exist (query) / unknown order sent (cancel). */
const NO_SUCH_ORDER = new Set([-2013, -2011]);
const DUPLICATE_CLIENT_ORDER_ID = -4116;
const MARGIN_TYPE_ALREADY_SET = -4046;
/** GET /fapi/v1/income returns at most 1000 rows a page. */
const INCOME_PAGE_LIMIT = 1000;
const INCOME_MAX_PAGES = 10;
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

export interface BinanceExchangeOptions {
  readonly apiKey: string;
  readonly secret: string;
  /** EXCHANGE_TESTNET: Binance demo trading. */
  readonly testnet: boolean;
  /** EXCHANGE_API_BASE origin, or null for Binance itself. */
  readonly apiBase: string | null;
  readonly scheduler: RequestScheduler;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The symbols the bot trades (Binance ids, e.g. BTCUSDT); `loadRules([])` loads these. */
  readonly symbols: readonly string[];
  /** ccxt per-request timeout; 10 s by default. */
  readonly timeoutMs?: number;
  /** Observer of every URL fetched (tests). */
  readonly onRequest?: (method: string, url: string) => void;
}

function isTriggerType(type: OrderRequest['type']): boolean {
  return type === 'stop_market' || type === 'take_profit_market';
}

/** Throws InvalidOrderError before anything is sent when the request cannot be valid. */
export function validateOrderRequest(request: OrderRequest): void {
  const id = request.clientOrderId;
  if (!CLIENT_ORDER_ID_PATTERN.test(id)) {
    throw new InvalidOrderError(`Client order id "${id}" does not match Binance's ^[.A-Z:/a-z0-9_-]{1,36}$`, 'client_order_id');
  }
  if (!(request.quantity > 0) || !Number.isFinite(request.quantity)) {
    throw new InvalidOrderError(`Order ${id}: quantity must be a positive number, got ${request.quantity}`, 'quantity');
  }
  if (request.type === 'limit' && !(request.price !== undefined && request.price > 0)) {
    throw new InvalidOrderError(`Order ${id}: a limit order needs a positive price`, 'price');
  }
  if (isTriggerType(request.type) && !(request.stopPrice !== undefined && request.stopPrice > 0)) {
    throw new InvalidOrderError(`Order ${id}: a ${request.type} order needs a positive stopPrice`, 'stop_price');
  }
}

/** An order as placed or read, with the id its fills are filed under. */
interface FetchedOrder {
  readonly order: OrderState;
  /** orderId of its userTrades rows: its own, or a triggered conditional's actualOrderId; null if none yet. */
  readonly fillsOrderId: string | null;
  readonly conditional: boolean;
}

function fetched(info: unknown, conditional: boolean, nowMs: number): FetchedOrder {
  const raw = asRecord(info);
  return { order: parseOrder(raw, nowMs), fillsOrderId: fillsOrderId(raw), conditional };
}

function isFinal(order: OrderState): boolean {
  return order.status !== 'new' && order.status !== 'partially_filled';
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isNoSuchOrder(error: unknown): boolean {
  const code = binanceErrorCode(error);
  return code !== null && NO_SUCH_ORDER.has(code);
}

export class BinanceExchange implements Exchange {
  readonly kind = 'binance' as const;
  /** ccxt is loaded on first use, never in the constructor. */
  private readonly client: () => Promise<BinanceClient>;
  private marketsPromise: Promise<void> | null = null;
  private marketsLoadedAt: number | null = null;
  private brackets: { readonly at: number; readonly bySymbol: Map<string, LeverageBracket[]> } | null = null;
  /** Leverage this process set per symbol: positionRisk v3 does not report it. */
  private readonly leverageBySymbol = new Map<string, number>();
  /** clientOrderId → true for conditional (algo) orders, as placed or seen by this process. */
  private readonly conditionalById = new Map<string, boolean>();
  /** `symbol:orderId` → fills of a final order (or the read in flight), oldest first. */
  private readonly fillsByOrder = new Map<string, Promise<FillSummary | null>>();
  /** Commission assets other than USDT already warned about (once each). */
  private readonly warnedFeeAssets = new Set<string>();
  private readonly logger: Logger;

  constructor(private readonly options: BinanceExchangeOptions) {
    this.logger = options.logger.child('binance');
    const { apiKey, secret, testnet, apiBase, scheduler, timeoutMs, onRequest } = options;
    this.client = lazyBinanceClient({
      apiKey,
      secret,
      testnet,
      apiBase,
      scheduler,
      logger: this.logger,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(onRequest === undefined ? {} : { onRequest }),
    });
  }

  // ---------------------------------------------------------------- plumbing

  private async call<T>(call: BinanceCall, run: (ex: BinanceUsdmClient) => Promise<T>): Promise<T> {
    const client = await this.client();
    try {
      return await client.call(call, run);
    } catch (error) {
      if (binanceErrorCode(error) === -1021) await this.resyncTime();
      throw error;
    }
  }

  /** -1021: our clock is outside recvWindow of Binance's; measure the offset and let ccxt's nonce use it. */
  private async resyncTime(): Promise<void> {
    try {
      const client = await this.client();
      const before = Date.now();
      const response = await client.call({ priority: 2, endpoint: 'GET /fapi/v1/time' }, (ex) => ex.fapiPublicGetTime());
      const serverTime = num(asRecord(response)['serverTime']);
      if (serverTime === null) return;
      const localMid = Math.round((before + Date.now()) / 2);
      const skewMs = localMid - serverTime;
      client.ex.options['timeDifference'] = skewMs;
      this.logger.warn('clock skew against Binance corrected', { skewMs });
    } catch (error) {
      this.logger.warn('clock skew check failed', { error: String(error) });
    }
  }

  /** exchangeInfo (markets), loaded once and again when older than 24 h. */
  private async ensureMarkets(priority: Priority): Promise<BinanceUsdmClient> {
    const client = await this.client();
    const stale = this.marketsLoadedAt === null || this.options.clock.now() - this.marketsLoadedAt > RULES_MAX_AGE_MS;
    if (stale && this.marketsPromise === null) {
      this.marketsPromise = this.call({ priority, endpoint: 'GET /fapi/v1/exchangeInfo' }, (ex) => ex.loadMarkets(true))
        .then(() => {
          this.marketsLoadedAt = this.options.clock.now();
        })
        .finally(() => {
          this.marketsPromise = null;
        });
    }
    if (this.marketsPromise !== null) await this.marketsPromise;
    return client.ex;
  }

  /** Binance id (BTCUSDT) → ccxt market. */
  private market(ex: BinanceUsdmClient, symbol: string): { symbol: string; info: Raw } {
    const markets = ex.markets_by_id?.[symbol] as unknown;
    const market = Array.isArray(markets) ? (markets[0] as { symbol?: unknown; info?: unknown } | undefined) : undefined;
    if (market === undefined || typeof market.symbol !== 'string') {
      throw new InvalidOrderError(`Unknown symbol ${symbol}: not a USDⓈ-M futures market of this exchange`, 'symbol');
    }
    return { symbol: market.symbol, info: asRecord(market.info) };
  }

  // ---------------------------------------------------------------- rules and settings

  async loadRules(symbols: readonly string[]): Promise<Map<string, SymbolRules>> {
    const wanted = symbols.length > 0 ? symbols : this.options.symbols;
    const ex = await this.ensureMarkets(2);
    const now = this.options.clock.now();
    if (this.brackets === null || now - this.brackets.at > RULES_MAX_AGE_MS) {
      const response = await this.call({ priority: 2, endpoint: 'GET /fapi/v1/leverageBracket' }, (e) =>
        e.fapiPrivateGetLeverageBracket(),
      );
      this.brackets = { at: now, bySymbol: parseLeverageBrackets(response) };
    }
    const rules = new Map<string, SymbolRules>();
    for (const symbol of wanted) {
      const { info } = this.market(ex, symbol);
      const filters = parseSymbolFilters(info);
      const brackets = this.brackets.bySymbol.get(symbol) ?? [];
      if (brackets.length === 0) this.logger.warn('no leverage brackets for symbol', { symbol });
      rules.set(symbol, { symbol, filters, brackets });
    }
    return rules;
  }

  async setIsolatedMargin(symbol: string): Promise<void> {
    const ex = await this.ensureMarkets(1);
    const { symbol: unified } = this.market(ex, symbol);
    try {
      await this.call({ priority: 1, endpoint: 'POST /fapi/v1/marginType', params: { symbol } }, (e) =>
        e.setMarginMode('isolated', unified),
      );
    } catch (error) {
      // -4046 "No need to change margin type.": already isolated, which is what we want.
      if (binanceErrorCode(error) === MARGIN_TYPE_ALREADY_SET) return;
      throw error;
    }
  }

  async setLeverage(symbol: string, leverage: number): Promise<void> {
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > 125) {
      throw new InvalidOrderError(`Leverage for ${symbol} must be a whole number from 1 to 125, got ${leverage}`, 'leverage');
    }
    const ex = await this.ensureMarkets(1);
    const { symbol: unified } = this.market(ex, symbol);
    const response = await this.call({ priority: 1, endpoint: 'POST /fapi/v1/leverage', params: { symbol } }, (e) =>
      e.setLeverage(leverage, unified),
    );
    this.leverageBySymbol.set(symbol, num(asRecord(response)['leverage']) ?? leverage);
  }

  // ---------------------------------------------------------------- orders

  /** Places the order (reconciling an unknown outcome); a filled one carries its fee (bounded wait). */
  async placeOrder(request: OrderRequest, priority: Priority): Promise<OrderState> {
    validateOrderRequest(request);
    const placed = await this.placeOrRecover(request, priority);
    return this.withFeesWithin(placed, FEE_READ_MAX_WAIT_MS);
  }

  private async placeOrRecover(request: OrderRequest, priority: Priority): Promise<FetchedOrder> {
    await this.ensureMarkets(priority);
    const id = request.clientOrderId;
    const conditional = isTriggerType(request.type);
    this.conditionalById.set(id, conditional);
    try {
      return await this.sendOrder(request, priority);
    } catch (error) {
      if (binanceErrorCode(error) === DUPLICATE_CLIENT_ORDER_ID) return this.findExisting(request, priority, error);
      if (!(error instanceof OrderUncertainError)) throw error;
      this.logger.warn('order outcome unknown; querying it by client order id', { clientOrderId: id, error: error.message });
      const found = await this.queryUncertain(request, priority, error);
      if (found !== null) return found;
    }
    // The exchange says the order does not exist (-2013): resend once, with the same id.
    this.logger.warn('order not on the exchange after an unknown outcome; resending once', { clientOrderId: id });
    try {
      return await this.sendOrder(request, priority);
    } catch (error) {
      if (binanceErrorCode(error) === DUPLICATE_CLIENT_ORDER_ID) return this.findExisting(request, priority, error);
      if (error instanceof OrderUncertainError) {
        const found = await this.queryUncertain(request, priority, error);
        if (found !== null) return found;
      }
      throw error;
    }
  }

  private async sendOrder(request: OrderRequest, priority: Priority): Promise<FetchedOrder> {
    const ex = await this.ensureMarkets(priority);
    const { symbol: unified } = this.market(ex, request.symbol);
    const conditional = isTriggerType(request.type);
    const params: Record<string, unknown> = { clientOrderId: request.clientOrderId };
    if (request.reduceOnly) params['reduceOnly'] = true;
    let type: string;
    let price: number | undefined;
    switch (request.type) {
      case 'market':
        type = 'market';
        break;
      case 'limit':
        type = 'limit';
        price = request.price;
        break;
      case 'stop_market':
        type = 'STOP_MARKET';
        params['stopPrice'] = request.stopPrice;
        break;
      case 'take_profit_market':
        type = 'TAKE_PROFIT_MARKET';
        params['stopPrice'] = request.stopPrice;
        break;
    }
    const order = await this.call(
      {
        priority,
        endpoint: conditional ? 'POST /fapi/v1/algoOrder' : 'POST /fapi/v1/order',
        isOrder: true,
        clientOrderId: request.clientOrderId,
      },
      (e) => e.createOrder(unified, type, request.side, request.quantity, price, params),
    );
    return fetched(order.info, conditional, this.options.clock.now());
  }

  /** After an unknown outcome: the order, null when Binance says it does not exist, else OrderUncertainError. */
  private async queryUncertain(request: OrderRequest, priority: Priority, cause: TraderError): Promise<FetchedOrder | null> {
    try {
      return await this.queryOrder(request.symbol, request.clientOrderId, isTriggerType(request.type), priority);
    } catch (error) {
      throw new OrderUncertainError(
        `Order ${request.clientOrderId}: outcome unknown (${cause.message}) and the query failed (${(error as Error).message}); reconcile before resending`,
        request.clientOrderId,
        { cause: error },
      );
    }
  }

  /** -4116: the id exists on the exchange, so the order does; return it. */
  private async findExisting(request: OrderRequest, priority: Priority, cause: unknown): Promise<FetchedOrder> {
    const found = await this.queryUncertain(request, priority, cause as TraderError);
    if (found !== null) return found;
    throw new OrderUncertainError(
      `Order ${request.clientOrderId}: Binance reports a duplicate client order id but cannot find the order; reconcile`,
      request.clientOrderId,
      { cause },
    );
  }

  /** One order by client order id, from the regular or the algo endpoint; null on -2013. */
  private async queryOrder(
    symbol: string,
    clientOrderId: string,
    conditional: boolean,
    priority: Priority,
  ): Promise<FetchedOrder | null> {
    const ex = await this.ensureMarkets(priority);
    const { symbol: unified } = this.market(ex, symbol);
    try {
      const order = await this.call(
        {
          priority,
          endpoint: conditional ? 'GET /fapi/v1/algoOrder' : 'GET /fapi/v1/order',
          params: { symbol },
          clientOrderId,
        },
        (e) =>
          e.fetchOrder(
            '',
            unified,
            conditional ? { clientAlgoId: clientOrderId, trigger: true } : { origClientOrderId: clientOrderId },
          ),
      );
      return fetched(order.info, conditional, this.options.clock.now());
    } catch (error) {
      if (isNoSuchOrder(error)) return null;
      throw error;
    }
  }

  /** Which endpoints to try for an id: the kind we know, else regular first, then algo. */
  private kindsFor(clientOrderId: string): boolean[] {
    const known = this.conditionalById.get(clientOrderId);
    return known === undefined ? [false, true] : [known];
  }

  /** The order by client order id; a filled one carries its fee and average price from its fills. */
  async fetchOrder(symbol: string, clientOrderId: string): Promise<OrderState | null> {
    for (const conditional of this.kindsFor(clientOrderId)) {
      const found = await this.queryOrder(symbol, clientOrderId, conditional, 2);
      if (found !== null) {
        this.conditionalById.set(clientOrderId, conditional);
        return this.withFees(found);
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- fees from fills

  /**
   * The order with `feeUsdt` = Σ USDT commission of its fills, and `averagePrice` =
   * Σ price·qty / Σ qty of its fills when the payload had none. Unchanged when nothing
   * filled, the fills cannot be read, or there are none yet.
   */
  private async withFees(found: FetchedOrder): Promise<OrderState> {
    const { order, fillsOrderId: orderId } = found;
    if (order.filledQuantity <= 0 || orderId === null) return order;
    // An algo payload has no executedQty: its filled quantity is assumed, not a check on the fills.
    const expectedQuantity = found.conditional ? null : order.filledQuantity;
    const fills = await this.fillsOf(order.symbol, orderId, isFinal(order), expectedQuantity);
    if (fills === null || fills.fillCount === 0) return order;
    return { ...order, feeUsdt: fills.feeUsdt, averagePrice: order.averagePrice ?? fills.averagePrice };
  }

  /** withFees, but never waiting longer than `waitMs` (clock time) for the fills. */
  private async withFeesWithin(found: FetchedOrder, waitMs: number): Promise<OrderState> {
    if (found.order.filledQuantity <= 0 || found.fillsOrderId === null) return found.order;
    let cancel = (): void => {};
    const deadline = new Promise<OrderState>((resolve) => {
      cancel = this.options.clock.setTimer(waitMs, () => {
        this.logger.warn('order fills not read in time; returned with fee 0, the fee follows on the next order read', {
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
      const response = await this.call({ priority: 2, endpoint: 'GET /fapi/v1/userTrades', params }, (e) =>
        e.fapiPrivateGetUserTrades(params),
      );
      const fills = summariseFills(response, orderId);
      for (const [asset, commission] of fills.otherFees) {
        if (this.warnedFeeAssets.has(asset)) continue;
        this.warnedFeeAssets.add(asset);
        this.logger.warn('commission paid in a non-USDT asset is left out of trade fees', { asset, symbol, orderId, commission });
      }
      return fills;
    } catch (error) {
      this.logger.warn('order fills could not be read; the fee is recorded as 0', { symbol, orderId, error: describeError(error) });
      return null;
    }
  }

  /**
   * Cancels by client order id. An id Binance does not know (-2011/-2013: never placed,
   * already filled or canceled) → InvalidOrderError with code -2011; the caller decides.
   */
  async cancelOrder(symbol: string, clientOrderId: string, priority: Priority): Promise<void> {
    const ex = await this.ensureMarkets(priority);
    const { symbol: unified } = this.market(ex, symbol);
    let lastError: unknown = null;
    for (const conditional of this.kindsFor(clientOrderId)) {
      try {
        await this.call(
          {
            priority,
            endpoint: conditional ? 'DELETE /fapi/v1/algoOrder' : 'DELETE /fapi/v1/order',
            params: { symbol },
            clientOrderId,
          },
          (e) =>
            e.cancelOrder(
              '',
              unified,
              conditional ? { clientAlgoId: clientOrderId, trigger: true } : { origClientOrderId: clientOrderId },
            ),
        );
        return;
      } catch (error) {
        if (!isNoSuchOrder(error)) throw error;
        lastError = error;
      }
    }
    throw new InvalidOrderError(
      `Cancel ${clientOrderId} on ${symbol}: Binance does not know this open order (already filled, canceled or never placed)`,
      '-2011',
      { cause: lastError },
    );
  }

  /** Regular and conditional (algo) open orders: two requests. Without a symbol, all symbols (weight 40 each). */
  async fetchOpenOrders(symbol?: string): Promise<OrderState[]> {
    await this.ensureMarkets(2);
    const params = symbol === undefined ? {} : { symbol };
    const [regular, algo] = await Promise.all([
      this.call({ priority: 2, endpoint: 'GET /fapi/v1/openOrders', params }, (e) => e.fapiPrivateGetOpenOrders(params)),
      this.call({ priority: 2, endpoint: 'GET /fapi/v1/openAlgoOrders', params }, (e) =>
        e.fapiPrivateGetOpenAlgoOrders(params),
      ),
    ]);
    const now = this.options.clock.now();
    const orders: OrderState[] = [];
    for (const [rows, conditional] of [
      [regular, false],
      [algo, true],
    ] as const) {
      // openAlgoOrders may answer a list or { orders: [...] }.
      const list = Array.isArray(rows) ? rows : (asRecord(rows)['orders'] as unknown[] | undefined) ?? [];
      for (const row of list) {
        const order = parseOrder(asRecord(row), now);
        this.conditionalById.set(order.clientOrderId, conditional);
        orders.push(order);
      }
    }
    return orders;
  }

  // ---------------------------------------------------------------- account

  /** GET /fapi/v3/positionRisk: every open position in one request (weight 5). */
  async fetchPositions(priority: Priority): Promise<ExchangePosition[]> {
    const response = await this.call({ priority, endpoint: 'GET /fapi/v3/positionRisk' }, (e) =>
      e.fapiPrivateV3GetPositionRisk(),
    );
    return parsePositions(response, (symbol) => this.leverageBySymbol.get(symbol) ?? null, this.options.clock.now());
  }

  /** GET /fapi/v3/account, USDT asset: wallet, available, unrealised, equity = wallet + unrealised. */
  async fetchBalance(): Promise<Balance> {
    const response = await this.call({ priority: 2, endpoint: 'GET /fapi/v3/account' }, (e) =>
      e.fapiPrivateV3GetAccount(),
    );
    return parseAccountBalance(response);
  }

  /** GET /fapi/v1/income, incomeType FUNDING_FEE, from `sinceMs`, paged by time (bounded). */
  async fetchFundingPayments(symbol: string, sinceMs: number): Promise<FundingPayment[]> {
    const payments: FundingPayment[] = [];
    let startTime = sinceMs;
    for (let page = 0; page < INCOME_MAX_PAGES; page++) {
      const params = { symbol, incomeType: 'FUNDING_FEE', startTime, limit: INCOME_PAGE_LIMIT };
      const response = await this.call({ priority: 2, endpoint: 'GET /fapi/v1/income', params }, (e) =>
        e.fapiPrivateGetIncome(params),
      );
      const rows = parseFundingPayments(response);
      payments.push(...rows);
      const last = rows[rows.length - 1];
      if (rows.length < INCOME_PAGE_LIMIT || last === undefined) break;
      startTime = last.timestamp + 1;
    }
    return payments;
  }

  /** GET /fapi/v1/forceOrders (weight 20 with a symbol): liquidations and ADL of our positions. */
  async fetchForcedCloses(symbol: string, sinceMs: number): Promise<ForcedClose[]> {
    const params = { symbol, startTime: sinceMs, limit: 100 };
    const response = await this.call({ priority: 2, endpoint: 'GET /fapi/v1/forceOrders', params }, (e) =>
      e.fapiPrivateGetForceOrders(params),
    );
    return parseForcedCloses(response);
  }
}
