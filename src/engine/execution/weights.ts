/**
 * Binance USDⓈ-M futures request weights (IP limit, X-MBX-USED-WEIGHT-1M) and order-count
 * cost (account limits, X-MBX-ORDER-COUNT-10S / -1M) per endpoint, from the Binance
 * derivatives API docs (cross-checked with ccxt's binance `fapi*` cost table). Budgeting
 * by weight is how the lanes avoid discovering limits through 429s (STYLE.md: hummingbot).
 */

/** What one call costs against the IP weight limit and the account order limits. */
export interface EndpointCost {
  readonly weight: number;
  readonly orders: 0 | 1;
}

type Params = Readonly<Record<string, unknown>> | undefined;
type CostRule = (params: Params) => EndpointCost;

const fixed =
  (weight: number, orders: 0 | 1 = 0): CostRule =>
  () => ({ weight, orders });

/** Lighter with a symbol than for all symbols (ticker/price: 1 single, 2 all). */
const bySymbol =
  (single: number, all: number): CostRule =>
  (params) => ({ weight: hasSymbol(params) ? single : all, orders: 0 });

/** Kline family: [1,100) → 1, [100,500) → 2, [500,1000] → 5, > 1000 → 10; default limit 500. */
const klinesByLimit: CostRule = (params) => {
  const limit = limitOf(params, 500);
  const weight = limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
  return { weight, orders: 0 };
};

/** Order book: 5/10/20/50 → 2, 100 → 5, 500 → 10, 1000 → 20; default limit 500. */
const depthByLimit: CostRule = (params) => {
  const limit = limitOf(params, 500);
  const weight = limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
  return { weight, orders: 0 };
};

function hasSymbol(params: Params): boolean {
  const symbol = params?.['symbol'];
  return typeof symbol === 'string' && symbol.length > 0;
}

function limitOf(params: Params, fallback: number): number {
  const raw = params?.['limit'];
  const limit = typeof raw === 'string' ? Number(raw) : raw;
  return typeof limit === 'number' && Number.isFinite(limit) && limit > 0 ? limit : fallback;
}

/** Keyed by `METHOD /path` exactly as the adapter names its requests. */
const RULES: ReadonlyMap<string, CostRule> = new Map<string, CostRule>([
  // Market data (public)
  ['GET /fapi/v1/ping', fixed(1)],
  ['GET /fapi/v1/time', fixed(1)],
  ['GET /fapi/v1/exchangeInfo', fixed(1)],
  ['GET /fapi/v1/depth', depthByLimit],
  ['GET /fapi/v1/trades', fixed(5)],
  ['GET /fapi/v1/historicalTrades', fixed(20)],
  ['GET /fapi/v1/aggTrades', fixed(20)],
  ['GET /fapi/v1/klines', klinesByLimit],
  ['GET /fapi/v1/continuousKlines', klinesByLimit],
  ['GET /fapi/v1/indexPriceKlines', klinesByLimit],
  ['GET /fapi/v1/markPriceKlines', klinesByLimit],
  ['GET /fapi/v1/premiumIndexKlines', klinesByLimit],
  ['GET /fapi/v1/premiumIndex', bySymbol(1, 10)],
  ['GET /fapi/v1/fundingRate', fixed(1)],
  ['GET /fapi/v1/fundingInfo', fixed(1)],
  ['GET /fapi/v1/ticker/24hr', bySymbol(1, 40)],
  ['GET /fapi/v1/ticker/price', bySymbol(1, 2)],
  ['GET /fapi/v2/ticker/price', bySymbol(1, 2)],
  ['GET /fapi/v1/ticker/bookTicker', bySymbol(2, 5)],
  ['GET /fapi/v1/openInterest', fixed(1)],
  // Orders: a new order costs 0 IP weight and 1 on each account order limit.
  ['POST /fapi/v1/order', fixed(0, 1)],
  ['PUT /fapi/v1/order', fixed(1, 1)],
  ['GET /fapi/v1/order', fixed(1)],
  ['DELETE /fapi/v1/order', fixed(1)],
  ['DELETE /fapi/v1/allOpenOrders', fixed(1)],
  ['GET /fapi/v1/openOrder', fixed(1)],
  ['GET /fapi/v1/openOrders', bySymbol(1, 40)],
  ['GET /fapi/v1/allOrders', fixed(5)],
  ['POST /fapi/v1/countdownCancelAll', fixed(10)],
  // Conditional orders (algo service): like a new order, 0 IP weight + 1 order.
  ['POST /fapi/v1/algoOrder', fixed(0, 1)],
  ['GET /fapi/v1/algoOrder', fixed(1)],
  ['DELETE /fapi/v1/algoOrder', fixed(1)],
  ['DELETE /fapi/v1/algoOpenOrders', fixed(1)],
  ['GET /fapi/v1/openAlgoOrders', bySymbol(1, 40)],
  ['GET /fapi/v1/allAlgoOrders', fixed(5)],
  // Account and positions
  ['GET /fapi/v2/account', fixed(5)],
  ['GET /fapi/v3/account', fixed(5)],
  ['GET /fapi/v2/balance', fixed(5)],
  ['GET /fapi/v3/balance', fixed(5)],
  ['GET /fapi/v2/positionRisk', fixed(5)],
  ['GET /fapi/v3/positionRisk', fixed(5)],
  ['GET /fapi/v1/leverageBracket', fixed(1)],
  ['GET /fapi/v1/userTrades', fixed(5)],
  ['GET /fapi/v1/income', fixed(30)],
  ['GET /fapi/v1/commissionRate', fixed(20)],
  ['GET /fapi/v1/adlQuantile', fixed(5)],
  ['GET /fapi/v1/forceOrders', bySymbol(20, 50)],
  ['GET /fapi/v1/symbolConfig', fixed(5)],
  ['GET /fapi/v1/accountConfig', fixed(5)],
  ['GET /fapi/v1/multiAssetsMargin', fixed(30)],
  ['GET /fapi/v1/positionSide/dual', fixed(30)],
  ['POST /fapi/v1/positionSide/dual', fixed(1)],
  ['POST /fapi/v1/leverage', fixed(1)],
  ['POST /fapi/v1/marginType', fixed(1)],
  ['POST /fapi/v1/positionMargin', fixed(1)],
  ['POST /fapi/v1/listenKey', fixed(1)],
  ['PUT /fapi/v1/listenKey', fixed(1)],
  ['DELETE /fapi/v1/listenKey', fixed(1)],
]);

function normalise(endpoint: string): string {
  const trimmed = endpoint.trim();
  const space = trimmed.indexOf(' ');
  if (space < 0) return trimmed;
  const path =
    trimmed
      .slice(space + 1)
      .trim()
      .split('?')[0] ?? '';
  return `${trimmed.slice(0, space).toUpperCase()} ${path}`;
}

/** Weight and order cost of one call; throws for an endpoint missing from the table. */
export function costOf(endpoint: string, params?: Readonly<Record<string, unknown>>): EndpointCost {
  const rule = RULES.get(normalise(endpoint));
  if (rule === undefined) {
    throw new RangeError(`Unknown Binance endpoint "${endpoint}": add its request weight to src/engine/execution/weights.ts`);
  }
  return rule(params);
}

/** Binance IP request weight of one call (what X-MBX-USED-WEIGHT-1M will grow by). */
export function weightFor(endpoint: string, params?: Readonly<Record<string, unknown>>): number {
  return costOf(endpoint, params).weight;
}

/** 1 when the call counts against the account's order limits (10 s and 1 min), else 0. */
export function ordersFor(endpoint: string): 0 | 1 {
  return costOf(endpoint).orders;
}

/** Every endpoint the table knows, for docs and tests. */
export function knownEndpoints(): string[] {
  return [...RULES.keys()];
}
