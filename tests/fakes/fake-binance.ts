/**
 * A local fake of Binance USDⓈ-M futures REST (node:http on 127.0.0.1, port 0), for
 * tests that drive real ccxt against it through EXCHANGE_API_BASE.
 *
 * - Payloads follow Binance's documented shapes for the endpoints ccxt and our
 *   adapters call (exchangeInfo, leverageBracket, order / algoOrder, positionRisk v3,
 *   account v3, income, userTrades, klines, ticker/price, premiumIndex, ...).
 * - Every response carries X-MBX-USED-WEIGHT-1M (accumulated per calendar minute with
 *   Binance's weights); order endpoints also X-MBX-ORDER-COUNT-10S / -1M.
 * - Faults can be injected per endpoint: 429/418 with Retry-After, a held request
 *   (the order IS applied, the answer never comes: the realistic unknown outcome),
 *   5xx, and Binance error bodies.
 * - Market orders fill at once at the symbol's price; positions follow (one-way mode).
 *   Conditional (algo) orders rest until `setPrice` crosses their trigger. Every fill is
 *   recorded as a trade (userTrades) charged `takerFeeRate` in USDT.
 * - Signatures are not verified.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly at: number;
  /** The injected fault that answered this request, if any. */
  readonly fault: Fault['kind'] | null;
}

export type Fault =
  /** 429 (rate limit) or 418 (IP ban) with Retry-After in seconds. */
  | { readonly kind: 'rate_limit'; readonly status: 429 | 418; readonly retryAfterSec: number }
  /**
   * No answer. The request is still applied (an order IS placed) unless `apply` is false.
   * The socket is destroyed after `holdMs`, or held until the client gives up.
   */
  | { readonly kind: 'timeout'; readonly holdMs?: number; readonly apply?: boolean }
  /** A 5xx from the gateway (the request is not applied). */
  | { readonly kind: 'server_error'; readonly status?: number; readonly body?: string }
  /** A Binance error body, e.g. -1021, -1111, -2019, -2022, -4164. */
  | { readonly kind: 'binance_error'; readonly code: number; readonly msg?: string; readonly status?: number }
  /**
   * A stale answer: the body this route last answered with (a late reply, a cache in between),
   * nothing applied. Before any answer of the route, the request is served normally.
   */
  | { readonly kind: 'stale' };

export interface FakeOrder {
  orderId: number;
  clientOrderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: string;
  origQty: number;
  executedQty: number;
  avgPrice: number;
  price: number;
  stopPrice: number;
  reduceOnly: boolean;
  status: 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';
  timeInForce: string;
  time: number;
  updateTime: number;
}

export interface FakeAlgoOrder {
  algoId: number;
  clientAlgoId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  orderType: string;
  quantity: number;
  triggerPrice: number;
  price: number;
  reduceOnly: boolean;
  algoStatus: 'NEW' | 'TRIGGERED' | 'FINISHED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';
  actualOrderId: number | null;
  executedQty: number;
  avgPrice: number;
  createTime: number;
  updateTime: number;
  triggerTime: number;
}

export interface FakePosition {
  symbol: string;
  /** Signed size: + long, - short. */
  amount: number;
  entryPrice: number;
  updateTime: number;
}

/** One fill, as GET /fapi/v1/userTrades reports it (all fills are taker fills here). */
export interface FakeTrade {
  id: number;
  orderId: number;
  symbol: string;
  side: 'BUY' | 'SELL';
  price: number;
  qty: number;
  quoteQty: number;
  /** qty · price · takerFeeRate. */
  commission: number;
  commissionAsset: string;
  realizedPnl: number;
  time: number;
  buyer: boolean;
  maker: boolean;
}

export interface FakeIncome {
  symbol: string;
  incomeType: string;
  income: number;
  time: number;
  tranId: number;
}

export interface FakeBinanceState {
  readonly prices: Map<string, number>;
  walletBalance: number;
  readonly orders: FakeOrder[];
  readonly algoOrders: FakeAlgoOrder[];
  readonly positions: Map<string, FakePosition>;
  readonly leverage: Map<string, number>;
  readonly marginType: Map<string, 'ISOLATED' | 'CROSSED'>;
  readonly income: FakeIncome[];
  readonly trades: FakeTrade[];
}

export interface FakeBinanceOptions {
  /** Server time; the same clock the test drives (e.g. a ManualClock). Default Date.now. */
  readonly now?: () => number;
  readonly prices?: Readonly<Record<string, number>>;
  readonly walletBalanceUsdt?: number;
  /** Taker fee rate charged on market fills. */
  readonly takerFeeRate?: number;
  /** Klines exist from this open time on (default: 30 days before start). */
  readonly klineHistoryStartMs?: number;
}

export interface FakeBinance {
  /** `http://127.0.0.1:PORT`: use as EXCHANGE_API_BASE. */
  readonly url: string;
  readonly state: FakeBinanceState;
  readonly requests: RecordedRequest[];
  /** The next `times` requests to `endpoint` ("POST /fapi/v1/order") are answered by `fault`. */
  inject(endpoint: string, fault: Fault, times?: number): void;
  /** Moves a symbol's price (last and mark) and fires conditional orders it crosses. */
  setPrice(symbol: string, price: number): void;
  /** Weight used in the current minute, as the header reports it. */
  usedWeight1m(): number;
  close(): Promise<void>;
}

interface SymbolSpec {
  readonly symbol: string;
  readonly baseAsset: string;
  readonly pricePrecision: number;
  readonly quantityPrecision: number;
  readonly tickSize: string;
  readonly minPrice: string;
  readonly maxPrice: string;
  readonly stepSize: string;
  readonly minQty: string;
  readonly maxQty: string;
  readonly marketStepSize: string;
  readonly marketMinQty: string;
  readonly marketMaxQty: string;
  readonly minNotional: string;
  readonly brackets: readonly (readonly [number, number, number, number, number, number])[];
}

/** Values as Binance publishes them for these two perpetuals (2025). */
export const FAKE_SYMBOLS: Readonly<Record<string, SymbolSpec>> = {
  BTCUSDT: {
    symbol: 'BTCUSDT',
    baseAsset: 'BTC',
    pricePrecision: 2,
    quantityPrecision: 3,
    tickSize: '0.10',
    minPrice: '261.10',
    maxPrice: '809484',
    stepSize: '0.001',
    minQty: '0.001',
    maxQty: '1000',
    marketStepSize: '0.001',
    marketMinQty: '0.001',
    marketMaxQty: '120',
    minNotional: '100',
    // bracket, initialLeverage, notionalCap, notionalFloor, maintMarginRatio, cum
    brackets: [
      [1, 125, 50_000, 0, 0.004, 0],
      [2, 100, 600_000, 50_000, 0.005, 50],
      [3, 75, 3_000_000, 600_000, 0.0065, 950],
      [4, 50, 12_000_000, 3_000_000, 0.01, 11_450],
      [5, 25, 70_000_000, 12_000_000, 0.02, 131_450],
    ],
  },
  ETHUSDT: {
    symbol: 'ETHUSDT',
    baseAsset: 'ETH',
    pricePrecision: 2,
    quantityPrecision: 3,
    tickSize: '0.01',
    minPrice: '39.86',
    maxPrice: '306177',
    stepSize: '0.001',
    minQty: '0.001',
    maxQty: '10000',
    marketStepSize: '0.001',
    marketMinQty: '0.001',
    marketMaxQty: '2000',
    minNotional: '20',
    brackets: [
      [1, 125, 50_000, 0, 0.004, 0],
      [2, 100, 600_000, 50_000, 0.005, 50],
      [3, 75, 3_000_000, 600_000, 0.0065, 950],
      [4, 50, 12_000_000, 3_000_000, 0.01, 11_450],
    ],
  },
};

const FIVE_MINUTES_MS = 300_000;

/** Binance's messages for the codes tests inject. */
const BINANCE_MESSAGES: Readonly<Record<number, string>> = {
  [-1003]:
    'Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.',
  [-1021]: 'Timestamp for this request is outside of the recvWindow.',
  [-1111]: 'Precision is over the maximum defined for this asset.',
  [-1121]: 'Invalid symbol.',
  [-2011]: 'Unknown order sent.',
  [-2013]: 'Order does not exist.',
  [-2014]: 'API-key format invalid.',
  [-2015]: 'Invalid API-key, IP, or permissions for action.',
  [-2019]: 'Margin is insufficient.',
  [-2021]: 'Order would immediately trigger.',
  [-2022]: 'ReduceOnly Order is rejected.',
  [-4028]: 'Leverage is not valid',
  [-4046]: 'No need to change margin type.',
  [-4116]: 'ClientOrderId is duplicated.',
  [-4164]: "Order's notional must be no smaller than 100 (unless you choose reduce only).",
};

/** IP weight per endpoint (Binance USDⓈ-M docs), params-dependent where Binance says so. */
function weightOf(route: string, params: Readonly<Record<string, string>>): number {
  const hasSymbol = params['symbol'] !== undefined && params['symbol'] !== '';
  switch (route) {
    case 'GET /fapi/v1/klines': {
      const limit = Number(params['limit'] ?? 500);
      return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
    }
    case 'GET /fapi/v1/ticker/price':
      return hasSymbol ? 1 : 2;
    case 'GET /fapi/v1/premiumIndex':
      return hasSymbol ? 1 : 10;
    case 'GET /fapi/v1/openOrders':
    case 'GET /fapi/v1/openAlgoOrders':
      return hasSymbol ? 1 : 40;
    case 'POST /fapi/v1/order':
    case 'POST /fapi/v1/algoOrder':
      return 0;
    case 'GET /fapi/v1/income':
      return 30;
    case 'GET /fapi/v1/forceOrders':
      return hasSymbol ? 20 : 50;
    case 'GET /fapi/v2/account':
    case 'GET /fapi/v3/account':
    case 'GET /fapi/v2/balance':
    case 'GET /fapi/v3/balance':
    case 'GET /fapi/v2/positionRisk':
    case 'GET /fapi/v3/positionRisk':
    case 'GET /fapi/v1/allAlgoOrders':
    case 'GET /fapi/v1/userTrades':
      return 5;
    default:
      return 1;
  }
}

const ORDER_ROUTES = new Set(['POST /fapi/v1/order', 'POST /fapi/v1/algoOrder']);

class BinanceReject extends Error {
  constructor(
    readonly code: number,
    readonly status = 400,
    msg?: string,
  ) {
    super(msg ?? BINANCE_MESSAGES[code] ?? 'Binance error');
  }
}

/** True when `value` is a whole multiple of `step` (within float noise). */
function onStep(value: number, step: string): boolean {
  const ratio = value / Number(step);
  return Math.abs(ratio - Math.round(ratio)) < 1e-6;
}

function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) out[key] = value;
  return out;
}

function bool(value: string | undefined): boolean {
  return value === 'true' || value === 'TRUE';
}

export async function startFakeBinance(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
  const now = options.now ?? (() => Date.now());
  const takerFeeRate = options.takerFeeRate ?? 0.0005;
  const klineStart = options.klineHistoryStartMs ?? Math.floor((now() - 30 * 86_400_000) / FIVE_MINUTES_MS) * FIVE_MINUTES_MS;
  const state: FakeBinanceState = {
    prices: new Map(Object.entries(options.prices ?? { BTCUSDT: 60_000, ETHUSDT: 3_000 })),
    walletBalance: options.walletBalanceUsdt ?? 10_000,
    orders: [],
    algoOrders: [],
    positions: new Map(),
    leverage: new Map(),
    marginType: new Map(),
    income: [],
    trades: [],
  };
  const requests: RecordedRequest[] = [];
  const faults = new Map<string, { fault: Fault; remaining: number }[]>();
  const heldSockets = new Set<Socket>();
  /** The last 200 answer of each route (the `stale` fault repeats it). */
  const lastAnswer = new Map<string, unknown>();
  let nextOrderId = 8_389_765_000;
  let nextAlgoId = 3_358;
  let nextTradeId = 698_759_000;
  let weightMinute = -1;
  let usedWeight = 0;
  const orderTimes: number[] = [];

  const spec = (symbol: string | undefined): SymbolSpec => {
    const found = symbol === undefined ? undefined : FAKE_SYMBOLS[symbol];
    if (found === undefined) throw new BinanceReject(-1121);
    return found;
  };
  const priceOf = (symbol: string): number => state.prices.get(symbol) ?? 0;
  const leverageOf = (symbol: string): number => state.leverage.get(symbol) ?? 20;
  const fmtPrice = (symbol: string, value: number): string => value.toFixed(spec(symbol).pricePrecision);
  const fmtQty = (symbol: string, value: number): string => value.toFixed(spec(symbol).quantityPrecision);

  function addWeight(weight: number): number {
    const minute = Math.floor(now() / 60_000);
    if (minute !== weightMinute) {
      weightMinute = minute;
      usedWeight = 0;
    }
    usedWeight += weight;
    return usedWeight;
  }

  function countOrder(): { tenSeconds: number; minute: number } {
    const t = now();
    orderTimes.push(t);
    while (orderTimes.length > 0 && (orderTimes[0] ?? t) <= t - 60_000) orderTimes.shift();
    const tenSecondWindow = Math.floor(t / 10_000);
    const minuteWindow = Math.floor(t / 60_000);
    return {
      tenSeconds: orderTimes.filter((x) => Math.floor(x / 10_000) === tenSecondWindow).length,
      minute: orderTimes.filter((x) => Math.floor(x / 60_000) === minuteWindow).length,
    };
  }

  // ------------------------------------------------------------ positions and fills

  function unrealized(position: FakePosition): number {
    return (priceOf(position.symbol) - position.entryPrice) * position.amount;
  }

  function margin(position: FakePosition): number {
    return (Math.abs(position.amount) * position.entryPrice) / leverageOf(position.symbol);
  }

  function availableBalance(): number {
    let used = 0;
    let upnl = 0;
    for (const p of state.positions.values()) {
      used += margin(p);
      upnl += Math.min(0, unrealized(p));
    }
    return state.walletBalance - used + upnl;
  }

  /**
   * Applies a fill of `qty` (base, > 0) at `price` of order `orderId` to the one-way
   * position, charges the taker fee and records the trade.
   */
  function applyFill(orderId: number, symbol: string, side: 'BUY' | 'SELL', qty: number, price: number): void {
    let realizedPnl = 0;
    const signed = side === 'BUY' ? qty : -qty;
    const current = state.positions.get(symbol) ?? { symbol, amount: 0, entryPrice: 0, updateTime: now() };
    const next = current.amount + signed;
    if (current.amount === 0 || Math.sign(current.amount) === Math.sign(signed)) {
      const notional = Math.abs(current.amount) * current.entryPrice + qty * price;
      current.entryPrice = notional / Math.abs(next);
    } else {
      const closed = Math.min(Math.abs(signed), Math.abs(current.amount));
      const pnl = (price - current.entryPrice) * closed * Math.sign(current.amount);
      state.walletBalance += pnl;
      realizedPnl = pnl;
      if (Math.abs(signed) > Math.abs(current.amount)) current.entryPrice = price;
    }
    const commission = qty * price * takerFeeRate;
    state.walletBalance -= commission;
    state.trades.push({
      id: nextTradeId++,
      orderId,
      symbol,
      side,
      price,
      qty,
      quoteQty: qty * price,
      commission,
      commissionAsset: 'USDT',
      realizedPnl,
      time: now(),
      buyer: side === 'BUY',
      maker: false,
    });
    current.amount = Math.round(next * 1e9) / 1e9;
    current.updateTime = now();
    if (current.amount === 0) state.positions.delete(symbol);
    else state.positions.set(symbol, current);
  }

  function checkReduceOnly(symbol: string, side: 'BUY' | 'SELL', qty: number): void {
    const position = state.positions.get(symbol);
    const amount = position?.amount ?? 0;
    const reduces = (side === 'SELL' && amount > 0) || (side === 'BUY' && amount < 0);
    if (!reduces || qty > Math.abs(amount) + 1e-12) throw new BinanceReject(-2022);
  }

  // ------------------------------------------------------------ payloads

  function orderPayload(o: FakeOrder): Record<string, unknown> {
    return {
      orderId: o.orderId,
      symbol: o.symbol,
      status: o.status,
      clientOrderId: o.clientOrderId,
      price: fmtPrice(o.symbol, o.price),
      avgPrice: o.avgPrice === 0 ? '0.00' : fmtPrice(o.symbol, o.avgPrice),
      origQty: fmtQty(o.symbol, o.origQty),
      executedQty: fmtQty(o.symbol, o.executedQty),
      cumQty: fmtQty(o.symbol, o.executedQty),
      cumQuote: (o.executedQty * o.avgPrice).toFixed(5),
      timeInForce: o.timeInForce,
      type: o.type,
      reduceOnly: o.reduceOnly,
      closePosition: false,
      side: o.side,
      positionSide: 'BOTH',
      stopPrice: fmtPrice(o.symbol, o.stopPrice),
      workingType: 'CONTRACT_PRICE',
      priceProtect: false,
      origType: o.type,
      priceMatch: 'NONE',
      selfTradePreventionMode: 'EXPIRE_MAKER',
      goodTillDate: 0,
      time: o.time,
      updateTime: o.updateTime,
    };
  }

  function algoPayload(a: FakeAlgoOrder): Record<string, unknown> {
    return {
      algoId: a.algoId,
      clientAlgoId: a.clientAlgoId,
      algoType: 'CONDITIONAL',
      orderType: a.orderType,
      symbol: a.symbol,
      side: a.side,
      positionSide: 'BOTH',
      timeInForce: 'GTC',
      quantity: fmtQty(a.symbol, a.quantity),
      algoStatus: a.algoStatus,
      actualOrderId: a.actualOrderId === null ? '' : String(a.actualOrderId),
      actualPrice: a.avgPrice === 0 ? '0' : fmtPrice(a.symbol, a.avgPrice),
      triggerPrice: fmtPrice(a.symbol, a.triggerPrice),
      price: fmtPrice(a.symbol, a.price),
      icebergQuantity: null,
      selfTradePreventionMode: 'EXPIRE_MAKER',
      workingType: 'CONTRACT_PRICE',
      priceMatch: 'NONE',
      closePosition: false,
      priceProtect: false,
      reduceOnly: a.reduceOnly,
      createTime: a.createTime,
      updateTime: a.updateTime,
      triggerTime: a.triggerTime,
      goodTillDate: 0,
    };
  }

  function exchangeInfo(): Record<string, unknown> {
    return {
      timezone: 'UTC',
      serverTime: now(),
      futuresType: 'U_MARGINED',
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
        { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
      ],
      exchangeFilters: [],
      assets: [{ asset: 'USDT', marginAvailable: true, autoAssetExchange: '-10000' }],
      symbols: Object.values(FAKE_SYMBOLS).map((s) => ({
        symbol: s.symbol,
        pair: s.symbol,
        contractType: 'PERPETUAL',
        deliveryDate: 4133404800000,
        onboardDate: 1569398400000,
        status: 'TRADING',
        maintMarginPercent: '2.5000',
        requiredMarginPercent: '5.0000',
        baseAsset: s.baseAsset,
        quoteAsset: 'USDT',
        marginAsset: 'USDT',
        pricePrecision: s.pricePrecision,
        quantityPrecision: s.quantityPrecision,
        baseAssetPrecision: 8,
        quotePrecision: 8,
        underlyingType: 'COIN',
        underlyingSubType: ['PoW'],
        triggerProtect: '0.0500',
        liquidationFee: '0.012500',
        marketTakeBound: '0.05',
        maxMoveOrderLimit: 10000,
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: s.minPrice, maxPrice: s.maxPrice, tickSize: s.tickSize },
          { filterType: 'LOT_SIZE', stepSize: s.stepSize, maxQty: s.maxQty, minQty: s.minQty },
          { filterType: 'MARKET_LOT_SIZE', stepSize: s.marketStepSize, maxQty: s.marketMaxQty, minQty: s.marketMinQty },
          { filterType: 'MAX_NUM_ORDERS', limit: 200 },
          { filterType: 'MAX_NUM_ALGO_ORDERS', limit: 10 },
          { filterType: 'MIN_NOTIONAL', notional: s.minNotional },
          { filterType: 'PERCENT_PRICE', multiplierUp: '1.0500', multiplierDown: '0.9500', multiplierDecimal: '4' },
        ],
        orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
        timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
        permissionSets: ['GRID', 'COPY'],
      })),
    };
  }

  function bracketsPayload(s: SymbolSpec): Record<string, unknown> {
    return {
      symbol: s.symbol,
      notionalCoef: 1.0,
      brackets: s.brackets.map(([bracket, initialLeverage, notionalCap, notionalFloor, maintMarginRatio, cum]) => ({
        bracket,
        initialLeverage,
        notionalCap,
        notionalFloor,
        maintMarginRatio,
        cum,
      })),
    };
  }

  function positionPayload(p: FakePosition): Record<string, unknown> {
    const lev = leverageOf(p.symbol);
    const mark = priceOf(p.symbol);
    const wallet = margin(p);
    const upnl = unrealized(p);
    const mmr = FAKE_SYMBOLS[p.symbol]?.brackets[0]?.[4] ?? 0.004;
    const liquidation = p.amount > 0 ? p.entryPrice * (1 - 1 / lev + mmr) : p.entryPrice * (1 + 1 / lev - mmr);
    return {
      symbol: p.symbol,
      positionSide: 'BOTH',
      positionAmt: fmtQty(p.symbol, p.amount),
      entryPrice: p.entryPrice.toFixed(8),
      breakEvenPrice: (p.entryPrice * (1 + takerFeeRate * Math.sign(p.amount))).toFixed(8),
      markPrice: mark.toFixed(8),
      unRealizedProfit: upnl.toFixed(8),
      liquidationPrice: liquidation.toFixed(8),
      isolatedMargin: (wallet + upnl).toFixed(8),
      notional: (p.amount * mark).toFixed(8),
      marginAsset: 'USDT',
      isolatedWallet: wallet.toFixed(8),
      initialMargin: ((Math.abs(p.amount) * mark) / lev).toFixed(8),
      maintMargin: (Math.abs(p.amount) * mark * mmr).toFixed(8),
      positionInitialMargin: ((Math.abs(p.amount) * mark) / lev).toFixed(8),
      openOrderInitialMargin: '0',
      adl: 1,
      bidNotional: '0',
      askNotional: '0',
      updateTime: p.updateTime,
    };
  }

  function accountPayload(): Record<string, unknown> {
    let upnl = 0;
    let initial = 0;
    for (const p of state.positions.values()) {
      upnl += unrealized(p);
      initial += margin(p);
    }
    const wallet = state.walletBalance;
    const available = availableBalance();
    return {
      totalInitialMargin: initial.toFixed(8),
      totalMaintMargin: '0.00000000',
      totalWalletBalance: wallet.toFixed(8),
      totalUnrealizedProfit: upnl.toFixed(8),
      totalMarginBalance: (wallet + upnl).toFixed(8),
      totalPositionInitialMargin: initial.toFixed(8),
      totalOpenOrderInitialMargin: '0.00000000',
      totalCrossWalletBalance: wallet.toFixed(8),
      totalCrossUnPnl: '0.00000000',
      availableBalance: available.toFixed(8),
      maxWithdrawAmount: available.toFixed(8),
      assets: [
        {
          asset: 'USDT',
          walletBalance: wallet.toFixed(8),
          unrealizedProfit: upnl.toFixed(8),
          marginBalance: (wallet + upnl).toFixed(8),
          maintMargin: '0.00000000',
          initialMargin: initial.toFixed(8),
          positionInitialMargin: initial.toFixed(8),
          openOrderInitialMargin: '0.00000000',
          crossWalletBalance: wallet.toFixed(8),
          crossUnPnl: '0.00000000',
          availableBalance: available.toFixed(8),
          maxWithdrawAmount: available.toFixed(8),
          updateTime: now(),
        },
      ],
      positions: [...state.positions.values()].map((p) => ({
        symbol: p.symbol,
        positionSide: 'BOTH',
        positionAmt: fmtQty(p.symbol, p.amount),
        unrealizedProfit: unrealized(p).toFixed(8),
        isolatedMargin: margin(p).toFixed(8),
        notional: (p.amount * priceOf(p.symbol)).toFixed(8),
        isolatedWallet: margin(p).toFixed(8),
        initialMargin: margin(p).toFixed(8),
        maintMargin: '0',
        updateTime: p.updateTime,
      })),
    };
  }

  function balancePayload(): unknown[] {
    const available = availableBalance();
    return [
      {
        accountAlias: 'SgsR',
        asset: 'USDT',
        balance: state.walletBalance.toFixed(8),
        crossWalletBalance: state.walletBalance.toFixed(8),
        crossUnPnl: '0.00000000',
        availableBalance: available.toFixed(8),
        maxWithdrawAmount: available.toFixed(8),
        marginAvailable: true,
        updateTime: now(),
      },
    ];
  }

  /** A deterministic synthetic 5m candle around the symbol's price. */
  function kline(symbol: string, openTime: number): unknown[] {
    const base = priceOf(symbol);
    const wave = (t: number): number => base * (1 + 0.002 * Math.sin(t / 3_600_000));
    const open = wave(openTime);
    const close = wave(openTime + FIVE_MINUTES_MS);
    const high = Math.max(open, close) * 1.0005;
    const low = Math.min(open, close) * 0.9995;
    const volume = 100 + ((openTime / FIVE_MINUTES_MS) % 50);
    const p = (v: number): string => fmtPrice(symbol, v);
    return [
      openTime,
      p(open),
      p(high),
      p(low),
      p(close),
      volume.toFixed(3),
      openTime + FIVE_MINUTES_MS - 1,
      (volume * close).toFixed(4),
      1000,
      (volume / 2).toFixed(3),
      ((volume / 2) * close).toFixed(4),
      '0',
    ];
  }

  function klines(params: Readonly<Record<string, string>>): unknown[] {
    const symbol = spec(params['symbol']).symbol;
    if ((params['interval'] ?? '') !== '5m') throw new BinanceReject(-1120, 400, 'Invalid interval.');
    const limit = Math.min(1500, Math.max(1, Number(params['limit'] ?? 500)));
    const currentOpen = Math.floor(now() / FIVE_MINUTES_MS) * FIVE_MINUTES_MS;
    const endOpen = Math.min(
      currentOpen,
      params['endTime'] === undefined ? currentOpen : Math.floor(Number(params['endTime']) / FIVE_MINUTES_MS) * FIVE_MINUTES_MS,
    );
    const rows: unknown[] = [];
    if (params['startTime'] !== undefined) {
      const start = Math.max(klineStart, Math.ceil(Number(params['startTime']) / FIVE_MINUTES_MS) * FIVE_MINUTES_MS);
      for (let t = start; t <= endOpen && rows.length < limit; t += FIVE_MINUTES_MS) rows.push(kline(symbol, t));
      return rows;
    }
    const first = Math.max(klineStart, endOpen - (limit - 1) * FIVE_MINUTES_MS);
    for (let t = first; t <= endOpen; t += FIVE_MINUTES_MS) rows.push(kline(symbol, t));
    return rows;
  }

  /** GET /fapi/v1/userTrades: one symbol (mandatory), by orderId and/or time, oldest first. */
  function userTrades(params: Readonly<Record<string, string>>): unknown[] {
    if (params['symbol'] === undefined || params['symbol'] === '') {
      throw new BinanceReject(-1102, 400, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
    }
    const symbol = spec(params['symbol']).symbol;
    const orderId = params['orderId'];
    const start = Number(params['startTime'] ?? 0);
    const end = Number(params['endTime'] ?? Number.MAX_SAFE_INTEGER);
    const limit = Math.min(1000, Math.max(1, Number(params['limit'] ?? 500)));
    return state.trades
      .filter((t) => t.symbol === symbol && (orderId === undefined || String(t.orderId) === orderId) && t.time >= start && t.time <= end)
      .sort((a, b) => a.time - b.time || a.id - b.id)
      .slice(0, limit)
      .map((t) => ({
        buyer: t.buyer,
        commission: t.commission.toFixed(8),
        commissionAsset: t.commissionAsset,
        id: t.id,
        maker: t.maker,
        orderId: t.orderId,
        price: fmtPrice(t.symbol, t.price),
        qty: fmtQty(t.symbol, t.qty),
        quoteQty: t.quoteQty.toFixed(8),
        realizedPnl: t.realizedPnl.toFixed(8),
        side: t.side,
        positionSide: 'BOTH',
        symbol: t.symbol,
        time: t.time,
      }));
  }

  function tickerPayload(symbol: string): Record<string, unknown> {
    return { symbol, price: fmtPrice(symbol, priceOf(symbol)), time: now() };
  }

  function premiumPayload(symbol: string): Record<string, unknown> {
    const mark = priceOf(symbol);
    return {
      symbol,
      markPrice: mark.toFixed(8),
      indexPrice: (mark * 0.9999).toFixed(8),
      estimatedSettlePrice: mark.toFixed(8),
      lastFundingRate: '0.00010000',
      interestRate: '0.00010000',
      nextFundingTime: Math.ceil(now() / 28_800_000) * 28_800_000,
      time: now(),
    };
  }

  // ------------------------------------------------------------ orders

  function newOrder(p: Readonly<Record<string, string>>): Record<string, unknown> {
    const s = spec(p['symbol']);
    const side = p['side'] === 'SELL' ? 'SELL' : 'BUY';
    const type = (p['type'] ?? '').toUpperCase();
    if (type !== 'MARKET' && type !== 'LIMIT') {
      // Since the algo migration Binance sends conditional types to /fapi/v1/algoOrder.
      throw new BinanceReject(-4120, 400, 'Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.');
    }
    const clientOrderId = p['newClientOrderId'] ?? `fake-${nextOrderId}`;
    const quantity = Number(p['quantity']);
    const reduceOnly = bool(p['reduceOnly']);
    if (!Number.isFinite(quantity) || quantity <= 0) throw new BinanceReject(-4003, 400, 'Quantity less than or equal to zero.');
    if (!onStep(quantity, s.stepSize)) throw new BinanceReject(-1111);
    const open = state.orders.find((o) => o.clientOrderId === clientOrderId && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'));
    if (open !== undefined) throw new BinanceReject(-4116);
    const price = type === 'LIMIT' ? Number(p['price']) : priceOf(s.symbol);
    if (type === 'LIMIT' && (!Number.isFinite(price) || !onStep(price, s.tickSize))) throw new BinanceReject(-1111);
    if (!reduceOnly && quantity * price < Number(s.minNotional)) {
      throw new BinanceReject(-4164, 400, `Order's notional must be no smaller than ${s.minNotional} (unless you choose reduce only).`);
    }
    if (reduceOnly) checkReduceOnly(s.symbol, side, quantity);
    else if ((quantity * price) / leverageOf(s.symbol) > availableBalance()) throw new BinanceReject(-2019);
    const t = now();
    const order: FakeOrder = {
      orderId: nextOrderId++,
      clientOrderId,
      symbol: s.symbol,
      side,
      type,
      origQty: quantity,
      executedQty: 0,
      avgPrice: 0,
      price: type === 'LIMIT' ? price : 0,
      stopPrice: 0,
      reduceOnly,
      status: 'NEW',
      timeInForce: p['timeInForce'] ?? 'GTC',
      time: t,
      updateTime: t,
    };
    if (type === 'MARKET') {
      applyFill(order.orderId, s.symbol, side, quantity, price);
      order.executedQty = quantity;
      order.avgPrice = price;
      order.status = 'FILLED';
    }
    state.orders.push(order);
    return orderPayload(order);
  }

  function newAlgoOrder(p: Readonly<Record<string, string>>): Record<string, unknown> {
    const s = spec(p['symbol']);
    if ((p['algoType'] ?? '') !== 'CONDITIONAL')
      throw new BinanceReject(-1102, 400, "Mandatory parameter 'algoType' was not sent, was empty/null, or malformed.");
    const side = p['side'] === 'SELL' ? 'SELL' : 'BUY';
    const orderType = (p['type'] ?? '').toUpperCase();
    if (!['STOP_MARKET', 'TAKE_PROFIT_MARKET', 'STOP', 'TAKE_PROFIT'].includes(orderType)) {
      throw new BinanceReject(-1116, 400, 'Invalid orderType.');
    }
    const clientAlgoId = p['clientAlgoId'] ?? `fake-algo-${nextAlgoId}`;
    const quantity = Number(p['quantity']);
    const triggerPrice = Number(p['triggerPrice']);
    const reduceOnly = bool(p['reduceOnly']);
    if (!Number.isFinite(quantity) || quantity <= 0) throw new BinanceReject(-4003, 400, 'Quantity less than or equal to zero.');
    if (!onStep(quantity, s.stepSize) || !Number.isFinite(triggerPrice) || !onStep(triggerPrice, s.tickSize)) {
      throw new BinanceReject(-1111);
    }
    if (state.algoOrders.some((a) => a.clientAlgoId === clientAlgoId && a.algoStatus === 'NEW')) {
      throw new BinanceReject(-4116);
    }
    const mark = priceOf(s.symbol);
    const isStop = orderType.startsWith('STOP');
    const wouldTrigger = isStop
      ? side === 'SELL'
        ? mark <= triggerPrice
        : mark >= triggerPrice
      : side === 'SELL'
        ? mark >= triggerPrice
        : mark <= triggerPrice;
    if (wouldTrigger) throw new BinanceReject(-2021);
    if (reduceOnly) checkReduceOnly(s.symbol, side, quantity);
    const t = now();
    const algo: FakeAlgoOrder = {
      algoId: nextAlgoId++,
      clientAlgoId,
      symbol: s.symbol,
      side,
      orderType,
      quantity,
      triggerPrice,
      price: Number(p['price'] ?? 0) || 0,
      reduceOnly,
      algoStatus: 'NEW',
      actualOrderId: null,
      executedQty: 0,
      avgPrice: 0,
      createTime: t,
      updateTime: t,
      triggerTime: 0,
    };
    state.algoOrders.push(algo);
    return algoPayload(algo);
  }

  function findOrder(p: Readonly<Record<string, string>>): FakeOrder | undefined {
    const symbol = spec(p['symbol']).symbol;
    return state.orders.find(
      (o) =>
        o.symbol === symbol &&
        ((p['origClientOrderId'] !== undefined && o.clientOrderId === p['origClientOrderId']) ||
          (p['orderId'] !== undefined && String(o.orderId) === p['orderId'])),
    );
  }

  function findAlgo(p: Readonly<Record<string, string>>): FakeAlgoOrder | undefined {
    return state.algoOrders.find(
      (a) =>
        (p['clientAlgoId'] !== undefined && a.clientAlgoId === p['clientAlgoId']) ||
        (p['algoId'] !== undefined && String(a.algoId) === p['algoId']),
    );
  }

  function setPrice(symbol: string, price: number): void {
    state.prices.set(symbol, price);
    for (const algo of state.algoOrders) {
      if (algo.symbol !== symbol || algo.algoStatus !== 'NEW') continue;
      const isStop = algo.orderType.startsWith('STOP');
      const crossed = isStop
        ? algo.side === 'SELL'
          ? price <= algo.triggerPrice
          : price >= algo.triggerPrice
        : algo.side === 'SELL'
          ? price >= algo.triggerPrice
          : price <= algo.triggerPrice;
      if (!crossed) continue;
      const t = now();
      let qty = algo.quantity;
      if (algo.reduceOnly) {
        const amount = state.positions.get(symbol)?.amount ?? 0;
        const reduces = (algo.side === 'SELL' && amount > 0) || (algo.side === 'BUY' && amount < 0);
        qty = reduces ? Math.min(qty, Math.abs(amount)) : 0;
      }
      algo.algoStatus = 'FINISHED';
      algo.triggerTime = t;
      algo.updateTime = t;
      if (qty <= 0) continue;
      const orderId = nextOrderId++;
      applyFill(orderId, symbol, algo.side, qty, price);
      const order: FakeOrder = {
        orderId,
        clientOrderId: `autoclose-${algo.algoId}`,
        symbol,
        side: algo.side,
        type: 'MARKET',
        origQty: qty,
        executedQty: qty,
        avgPrice: price,
        price: 0,
        stopPrice: algo.triggerPrice,
        reduceOnly: algo.reduceOnly,
        status: 'FILLED',
        timeInForce: 'GTC',
        time: t,
        updateTime: t,
      };
      state.orders.push(order);
      algo.actualOrderId = order.orderId;
      algo.executedQty = qty;
      algo.avgPrice = price;
    }
  }

  // ------------------------------------------------------------ routing

  function handle(route: string, p: Readonly<Record<string, string>>): unknown {
    const symbolParam = p['symbol'];
    switch (route) {
      case 'GET /fapi/v1/ping':
        return {};
      case 'GET /fapi/v1/time':
        return { serverTime: now() };
      case 'GET /fapi/v1/exchangeInfo':
        return exchangeInfo();
      case 'GET /fapi/v1/leverageBracket':
        if (symbolParam !== undefined) return [bracketsPayload(spec(symbolParam))];
        return Object.values(FAKE_SYMBOLS).map(bracketsPayload);
      case 'POST /fapi/v1/marginType': {
        const symbol = spec(symbolParam).symbol;
        const wanted = (p['marginType'] ?? '').toUpperCase() === 'ISOLATED' ? 'ISOLATED' : 'CROSSED';
        if ((state.marginType.get(symbol) ?? 'CROSSED') === wanted) throw new BinanceReject(-4046);
        if (state.positions.has(symbol)) throw new BinanceReject(-4048, 400, 'Margin type cannot be changed if there exists position.');
        state.marginType.set(symbol, wanted);
        return { code: 200, msg: 'success' };
      }
      case 'POST /fapi/v1/leverage': {
        const symbol = spec(symbolParam).symbol;
        const leverage = Number(p['leverage']);
        const max = FAKE_SYMBOLS[symbol]?.brackets[0]?.[1] ?? 125;
        if (!Number.isInteger(leverage) || leverage < 1 || leverage > max) {
          throw new BinanceReject(-4028, 400, `Leverage ${p['leverage'] ?? ''} is not valid`);
        }
        state.leverage.set(symbol, leverage);
        // The largest notional this leverage allows: the top cap among brackets that permit it.
        const caps = (FAKE_SYMBOLS[symbol]?.brackets ?? []).filter((b) => b[1] >= leverage).map((b) => b[2]);
        return { leverage, maxNotionalValue: String(Math.max(50_000, ...caps)), symbol };
      }
      case 'POST /fapi/v1/order':
        return newOrder(p);
      case 'GET /fapi/v1/order': {
        const order = findOrder(p);
        if (order === undefined) throw new BinanceReject(-2013);
        return orderPayload(order);
      }
      case 'DELETE /fapi/v1/order': {
        const order = findOrder(p);
        if (order === undefined || (order.status !== 'NEW' && order.status !== 'PARTIALLY_FILLED')) {
          throw new BinanceReject(-2011);
        }
        order.status = 'CANCELED';
        order.updateTime = now();
        return orderPayload(order);
      }
      case 'GET /fapi/v1/openOrders':
        return state.orders
          .filter((o) => (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') && (symbolParam === undefined || o.symbol === symbolParam))
          .map(orderPayload);
      case 'POST /fapi/v1/algoOrder':
        return newAlgoOrder(p);
      case 'GET /fapi/v1/algoOrder': {
        const algo = findAlgo(p);
        if (algo === undefined) throw new BinanceReject(-2013);
        return algoPayload(algo);
      }
      case 'DELETE /fapi/v1/algoOrder': {
        const algo = findAlgo(p);
        if (algo === undefined || algo.algoStatus !== 'NEW') throw new BinanceReject(-2011);
        algo.algoStatus = 'CANCELED';
        algo.updateTime = now();
        return { algoId: algo.algoId, clientAlgoId: algo.clientAlgoId, code: '200', msg: 'success' };
      }
      case 'GET /fapi/v1/openAlgoOrders':
        return state.algoOrders
          .filter((a) => a.algoStatus === 'NEW' && (symbolParam === undefined || a.symbol === symbolParam))
          .map(algoPayload);
      case 'GET /fapi/v1/allAlgoOrders':
        return state.algoOrders.filter((a) => a.symbol === spec(symbolParam).symbol).map(algoPayload);
      case 'GET /fapi/v2/positionRisk':
      case 'GET /fapi/v3/positionRisk':
        return [...state.positions.values()].filter((pos) => symbolParam === undefined || pos.symbol === symbolParam).map(positionPayload);
      case 'GET /fapi/v2/account':
      case 'GET /fapi/v3/account':
        return accountPayload();
      case 'GET /fapi/v2/balance':
      case 'GET /fapi/v3/balance':
        return balancePayload();
      case 'GET /fapi/v1/forceOrders':
        // The fake never liquidates.
        return [];
      case 'GET /fapi/v1/income': {
        const start = Number(p['startTime'] ?? 0);
        const end = Number(p['endTime'] ?? Number.MAX_SAFE_INTEGER);
        const limit = Math.min(1000, Number(p['limit'] ?? 100));
        return state.income
          .filter(
            (row) =>
              (symbolParam === undefined || row.symbol === symbolParam) &&
              (p['incomeType'] === undefined || row.incomeType === p['incomeType']) &&
              row.time >= start &&
              row.time <= end,
          )
          .sort((a, b) => a.time - b.time)
          .slice(0, limit)
          .map((row) => ({
            symbol: row.symbol,
            incomeType: row.incomeType,
            income: row.income.toFixed(8),
            asset: 'USDT',
            info: row.incomeType,
            time: row.time,
            tranId: row.tranId,
            tradeId: '',
          }));
      }
      case 'GET /fapi/v1/userTrades':
        return userTrades(p);
      case 'GET /fapi/v1/klines':
        return klines(p);
      case 'GET /fapi/v1/ticker/price':
        if (symbolParam !== undefined) return tickerPayload(spec(symbolParam).symbol);
        return Object.keys(FAKE_SYMBOLS).map(tickerPayload);
      case 'GET /fapi/v1/premiumIndex':
        if (symbolParam !== undefined) return premiumPayload(spec(symbolParam).symbol);
        return Object.keys(FAKE_SYMBOLS).map(premiumPayload);
      default:
        return undefined;
    }
  }

  function takeFault(route: string): Fault | null {
    const queue = faults.get(route);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return null;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(text);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Uint8Array[] = [];
    req.on('data', (chunk: Uint8Array) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = (req.method ?? 'GET').toUpperCase();
      const query = Object.fromEntries(url.searchParams);
      const body = parseForm(Buffer.concat(chunks).toString('utf8'));
      const params = { ...query, ...body };
      const route = `${method} ${url.pathname}`;
      const fault = takeFault(route);
      requests.push({ method, path: url.pathname, query, body, headers: req.headers, at: now(), fault: fault?.kind ?? null });

      const headers: Record<string, string> = {
        'X-MBX-USED-WEIGHT-1M': String(addWeight(weightOf(route, params))),
      };
      if (ORDER_ROUTES.has(route) && (fault === null || fault.kind === 'timeout')) {
        const counts = countOrder();
        headers['X-MBX-ORDER-COUNT-10S'] = String(counts.tenSeconds);
        headers['X-MBX-ORDER-COUNT-1M'] = String(counts.minute);
      }

      if (fault !== null) {
        switch (fault.kind) {
          case 'rate_limit': {
            const ms = now() + fault.retryAfterSec * 1000;
            const msg =
              fault.status === 418
                ? `Way too many requests; IP(127.0.0.1) banned until ${ms}. Please use the websocket for live updates to avoid bans.`
                : BINANCE_MESSAGES[-1003];
            send(res, fault.status, { code: -1003, msg }, { ...headers, 'Retry-After': String(fault.retryAfterSec) });
            return;
          }
          case 'server_error':
            send(res, fault.status ?? 503, fault.body ?? '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>', {
              ...headers,
              'Content-Type': 'text/html',
            });
            return;
          case 'binance_error':
            send(res, fault.status ?? 400, { code: fault.code, msg: fault.msg ?? BINANCE_MESSAGES[fault.code] ?? 'error' }, headers);
            return;
          case 'stale': {
            const previous = lastAnswer.get(route);
            if (previous === undefined) break;
            send(res, 200, previous, headers);
            return;
          }
          case 'timeout': {
            if (fault.apply !== false) {
              try {
                handle(route, params);
              } catch {
                // the client never learns either way
              }
            }
            const socket = req.socket;
            heldSockets.add(socket);
            socket.once('close', () => heldSockets.delete(socket));
            if (fault.holdMs !== undefined) {
              const timer = setTimeout(() => socket.destroy(), fault.holdMs);
              socket.once('close', () => clearTimeout(timer));
            }
            return;
          }
        }
      }

      try {
        const result = handle(route, params);
        if (result === undefined) {
          send(res, 404, { code: -5000, msg: `Path ${url.pathname}, Method ${method} is invalid` }, headers);
          return;
        }
        lastAnswer.set(route, result);
        send(res, 200, result, headers);
      } catch (error) {
        if (error instanceof BinanceReject) {
          send(res, error.status, { code: error.code, msg: error.message }, headers);
          return;
        }
        send(res, 500, { code: -1000, msg: `fake: ${String(error)}` }, headers);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    inject(endpoint: string, fault: Fault, times = 1): void {
      const [method = '', path = ''] = endpoint.trim().split(/\s+/);
      const key = `${method.toUpperCase()} ${path}`;
      const queue = faults.get(key) ?? [];
      queue.push({ fault, remaining: Math.max(1, times) });
      faults.set(key, queue);
    },
    setPrice,
    usedWeight1m(): number {
      return Math.floor(now() / 60_000) === weightMinute ? usedWeight : 0;
    },
    close(): Promise<void> {
      for (const socket of heldSockets) socket.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
