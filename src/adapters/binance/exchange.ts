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
 * Fees come from the fills of each filled order (fills.ts); requests are validated before
 * anything is sent (order-request.ts).
 */
import { InvalidOrderError, OrderUncertainError, type TraderError } from '../../errors.js';
import type { RequestScheduler } from '../../engine/execution/types.js';
import type { Clock, Exchange, Logger, Priority } from '../../engine/ports.js';
import type {
  AccountFill,
  Balance,
  ExchangePosition,
  ForcedClose,
  FundingPayment,
  LeverageBracket,
  OrderRequest,
  OrderState,
  SymbolRules,
} from '../../engine/types.js';
import { isTriggerType, validateOrderRequest } from './order-request.js';
import { FEE_READ_MAX_WAIT_MS, OrderFills, fetched, type FetchedOrder } from './fills.js';
import { lazyBinanceClient, type BinanceCall, type BinanceClient, type BinanceUsdmClient } from './client.js';
import { binanceErrorCode } from './errors.js';
import {
  asRecord,
  num,
  parseAccountBalance,
  parseAccountFills,
  parseForcedCloses,
  parseFundingPayments,
  parseLeverageBrackets,
  parseOrder,
  parsePositions,
  parseSymbolFilters,
  type Raw,
} from './parse.js';

export { CLIENT_ORDER_ID_PATTERN, validateOrderRequest } from './order-request.js';
export { FEE_READ_MAX_WAIT_MS } from './fills.js';

/** exchangeInfo and leverage brackets are reloaded when older than this. */
export const RULES_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Binance: order does not exist (query) / unknown order sent (cancel). */
const NO_SUCH_ORDER = new Set([-2013, -2011]);
const DUPLICATE_CLIENT_ORDER_ID = -4116;
const MARGIN_TYPE_ALREADY_SET = -4046;
/** GET /fapi/v1/income returns at most 1000 rows a page. */
const INCOME_PAGE_LIMIT = 1000;
const INCOME_MAX_PAGES = 10;

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
  /** Fees and average prices of filled orders, from their fills (fills.ts). */
  private readonly fills: OrderFills;
  private readonly logger: Logger;

  constructor(private readonly options: BinanceExchangeOptions) {
    this.logger = options.logger.child('binance');
    this.fills = new OrderFills({ clock: options.clock, logger: this.logger, call: (call, run) => this.call(call, run) });
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
      const response = await this.call({ priority: 2, endpoint: 'GET /fapi/v1/leverageBracket' }, (e) => e.fapiPrivateGetLeverageBracket());
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
    return this.fills.withFeesWithin(placed, FEE_READ_MAX_WAIT_MS);
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
        // Good till cancelled: a take-profit rests on the book until it fills or we cancel it.
        type = 'limit';
        price = request.price;
        params['timeInForce'] = 'GTC';
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
  private async queryOrder(symbol: string, clientOrderId: string, conditional: boolean, priority: Priority): Promise<FetchedOrder | null> {
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
          e.fetchOrder('', unified, conditional ? { clientAlgoId: clientOrderId, trigger: true } : { origClientOrderId: clientOrderId }),
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
        return this.fills.withFees(found);
      }
    }
    return null;
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
            e.cancelOrder('', unified, conditional ? { clientAlgoId: clientOrderId, trigger: true } : { origClientOrderId: clientOrderId }),
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
      this.call({ priority: 2, endpoint: 'GET /fapi/v1/openAlgoOrders', params }, (e) => e.fapiPrivateGetOpenAlgoOrders(params)),
    ]);
    const now = this.options.clock.now();
    const orders: OrderState[] = [];
    for (const [rows, conditional] of [
      [regular, false],
      [algo, true],
    ] as const) {
      // openAlgoOrders may answer a list or { orders: [...] }.
      const list = Array.isArray(rows) ? rows : ((asRecord(rows)['orders'] as unknown[] | undefined) ?? []);
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
    const response = await this.call({ priority, endpoint: 'GET /fapi/v3/positionRisk' }, (e) => e.fapiPrivateV3GetPositionRisk());
    return parsePositions(response, (symbol) => this.leverageBySymbol.get(symbol) ?? null, this.options.clock.now());
  }

  /** GET /fapi/v3/account, USDT asset: wallet, available, unrealised, equity = wallet + unrealised. */
  async fetchBalance(): Promise<Balance> {
    const response = await this.call({ priority: 2, endpoint: 'GET /fapi/v3/account' }, (e) => e.fapiPrivateV3GetAccount());
    return parseAccountBalance(response);
  }

  /** GET /fapi/v1/income, incomeType FUNDING_FEE, from `sinceMs`, paged by time (bounded). */
  async fetchFundingPayments(symbol: string, sinceMs: number): Promise<FundingPayment[]> {
    const payments: FundingPayment[] = [];
    let startTime = sinceMs;
    for (let page = 0; page < INCOME_MAX_PAGES; page++) {
      const params = { symbol, incomeType: 'FUNDING_FEE', startTime, limit: INCOME_PAGE_LIMIT };
      const response = await this.call({ priority: 2, endpoint: 'GET /fapi/v1/income', params }, (e) => e.fapiPrivateGetIncome(params));
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

  /** GET /fapi/v1/userTrades since `sinceMs` (weight 5, lane 2): what closed a position outside the bot. */
  async fetchAccountFills(symbol: string, sinceMs: number): Promise<AccountFill[]> {
    const params = { symbol, startTime: sinceMs, limit: 1000 };
    const response = await this.call({ priority: 2, endpoint: 'GET /fapi/v1/userTrades', params }, (e) =>
      e.fapiPrivateGetUserTrades(params),
    );
    return parseAccountFills(response);
  }
}
