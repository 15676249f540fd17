/**
 * Binance USDⓈ-M raw JSON → the engine's types. Pure functions.
 *
 * Raw payloads (`order.info`, implicit-API responses) are parsed rather than ccxt's
 * unified structures because ccxt folds what the engine needs: it reports a
 * STOP_MARKET order as type `market`, and merges PARTIALLY_FILLED into `open`.
 */
import { FatalExchangeError } from '../../errors.js';
import type {
  AccountFill,
  Balance,
  Candle,
  ExchangePosition,
  ForcedClose,
  FundingPayment,
  LeverageBracket,
  OrderState,
  OrderStatus,
  OrderType,
  SymbolFilters,
} from '../../engine/types.js';

export type Raw = Readonly<Record<string, unknown>>;

export function asRecord(value: unknown): Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A finite number from a Binance string/number field, else null. */
export function num(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function str(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function positive(value: unknown): number | null {
  const n = num(value);
  return n !== null && n > 0 ? n : null;
}

/**
 * PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE and MIN_NOTIONAL of one exchangeInfo symbol
 * (`market.info` in ccxt). MARKET_LOT_SIZE falls back to LOT_SIZE when absent.
 */
export function parseSymbolFilters(symbolInfo: Raw): SymbolFilters {
  const byType = new Map<string, Raw>();
  for (const filter of asArray(symbolInfo['filters'])) {
    const record = asRecord(filter);
    const type = str(record['filterType']);
    if (type !== null) byType.set(type, record);
  }
  const symbol = str(symbolInfo['symbol']) ?? '(unknown symbol)';
  const price = byType.get('PRICE_FILTER') ?? {};
  const lot = byType.get('LOT_SIZE') ?? {};
  const market = byType.get('MARKET_LOT_SIZE');
  const tickSize = positive(price['tickSize']);
  const stepSize = positive(lot['stepSize']);
  const minQty = positive(lot['minQty']);
  if (tickSize === null || stepSize === null || minQty === null) {
    throw new FatalExchangeError(
      `Binance exchangeInfo ${symbol}: PRICE_FILTER.tickSize, LOT_SIZE.stepSize and LOT_SIZE.minQty must be > 0`,
    );
  }
  const notional = byType.get('MIN_NOTIONAL') ?? {};
  return {
    tickSize,
    stepSize,
    minQty,
    maxQty: positive(lot['maxQty']),
    marketStepSize: positive(market?.['stepSize']) ?? stepSize,
    marketMinQty: positive(market?.['minQty']) ?? minQty,
    marketMaxQty: positive(market?.['maxQty']) ?? positive(lot['maxQty']),
    minNotional: positive(notional['notional']) ?? positive(notional['minNotional']),
  };
}

/** Rows of GET /fapi/v1/leverageBracket → symbol → brackets sorted by notionalFloor. */
export function parseLeverageBrackets(response: unknown): Map<string, LeverageBracket[]> {
  const out = new Map<string, LeverageBracket[]>();
  // With a symbol parameter Binance may answer a single object instead of a list.
  const rows = Array.isArray(response) ? response : [response];
  for (const row of rows) {
    const record = asRecord(row);
    const symbol = str(record['symbol']);
    if (symbol === null) continue;
    const brackets: LeverageBracket[] = [];
    for (const item of asArray(record['brackets'])) {
      const b = asRecord(item);
      const bracket = num(b['bracket']);
      const initialLeverage = num(b['initialLeverage']);
      const notionalCap = num(b['notionalCap']);
      const notionalFloor = num(b['notionalFloor']);
      const maintMarginRatio = num(b['maintMarginRatio']);
      const cum = num(b['cum']) ?? 0;
      if (bracket === null || initialLeverage === null || notionalCap === null || notionalFloor === null || maintMarginRatio === null) {
        continue;
      }
      brackets.push({ bracket, initialLeverage, notionalCap, notionalFloor, maintMarginRatio, cum });
    }
    brackets.sort((a, b) => a.notionalFloor - b.notionalFloor);
    out.set(symbol, brackets);
  }
  return out;
}

/** Binance order type (`type`, `orderType` on algo orders, `origType`) → ours, by family. */
export function parseOrderType(raw: Raw): OrderType {
  const type = (str(raw['origType']) ?? str(raw['type']) ?? str(raw['orderType']) ?? 'MARKET').toUpperCase();
  if (type.includes('TAKE_PROFIT')) return 'take_profit_market';
  if (type.includes('STOP')) return 'stop_market';
  if (type === 'LIMIT') return 'limit';
  return 'market';
}

/**
 * Order status. Algo (conditional) orders: NEW/TRIGGERING wait; TRIGGERED/FINISHED mean
 * the trigger fired and the resulting order reached the matching engine — reported as
 * filled unless Binance says nothing was executed.
 */
export function parseOrderStatus(raw: Raw): OrderStatus {
  const algoStatus = str(raw['algoStatus']);
  if (algoStatus !== null) {
    const executed = num(raw['executedQty']);
    switch (algoStatus.toUpperCase()) {
      case 'NEW':
      case 'TRIGGERING':
        return 'new';
      case 'TRIGGERED':
        return 'filled';
      case 'FINISHED':
        return executed === 0 ? 'canceled' : 'filled';
      case 'CANCELED':
      case 'CANCELLED':
        return 'canceled';
      case 'EXPIRED':
        return 'expired';
      case 'REJECTED':
        return 'rejected';
      default:
        return 'new';
    }
  }
  switch ((str(raw['status']) ?? 'NEW').toUpperCase()) {
    case 'PARTIALLY_FILLED':
      return 'partially_filled';
    case 'FILLED':
      return 'filled';
    case 'CANCELED':
    case 'CANCELLED':
      return 'canceled';
    case 'REJECTED':
      return 'rejected';
    case 'EXPIRED':
    case 'EXPIRED_IN_MATCH':
      return 'expired';
    default:
      return 'new';
  }
}

/** True for an algo-service (conditional) order payload. */
export function isAlgoPayload(raw: Raw): boolean {
  return raw['algoId'] !== undefined || raw['clientAlgoId'] !== undefined;
}

/**
 * One raw order (regular: POST/GET /fapi/v1/order; conditional: /fapi/v1/algoOrder).
 * `feeUsdt` is 0: Binance's order payloads carry no commission; the exchange adds it
 * from the order's fills (GET /fapi/v1/userTrades, `summariseFills`).
 */
export function parseOrder(raw: Raw, nowMs: number): OrderState {
  const clientOrderId = str(raw['clientOrderId']) ?? str(raw['clientAlgoId']) ?? '';
  const exchangeOrderId = str(raw['orderId']) ?? str(raw['algoId']) ?? '';
  const quantity = num(raw['origQty']) ?? num(raw['quantity']) ?? 0;
  const status = parseOrderStatus(raw);
  const filledQuantity = num(raw['executedQty']) ?? (isAlgoPayload(raw) && status === 'filled' ? quantity : 0);
  // Algo (conditional) orders report the triggered order's price as `actualPrice` on some paths.
  const averagePrice = positive(raw['avgPrice']) ?? positive(raw['actualPrice']);
  const createdAt = num(raw['time']) ?? num(raw['createTime']) ?? num(raw['updateTime']) ?? num(raw['transactTime']) ?? nowMs;
  const updatedAt = num(raw['updateTime']) ?? num(raw['transactTime']) ?? createdAt;
  const side = (str(raw['side']) ?? 'BUY').toUpperCase() === 'SELL' ? 'sell' : 'buy';
  return {
    clientOrderId,
    exchangeOrderId,
    symbol: str(raw['symbol']) ?? '',
    side,
    type: parseOrderType(raw),
    status,
    quantity,
    filledQuantity,
    averagePrice: filledQuantity > 0 ? averagePrice : null,
    price: positive(raw['price']),
    stopPrice: positive(raw['triggerPrice']) ?? positive(raw['stopPrice']),
    reduceOnly: raw['reduceOnly'] === true || raw['reduceOnly'] === 'true',
    feeUsdt: 0,
    createdAt,
    updatedAt,
  };
}

/**
 * The id of the order whose fills (userTrades) belong to this raw order: its own
 * `orderId` for a regular order; for a conditional (algo) order the `actualOrderId` of
 * the market order its trigger sent, or null while it has not triggered.
 */
export function fillsOrderId(raw: Raw): string | null {
  if (!isAlgoPayload(raw)) return str(raw['orderId']);
  const actual = str(raw['actualOrderId']);
  return actual === null || actual === '0' ? null : actual;
}

/** What an order's fills add up to. */
export interface FillSummary {
  /** Σ commission of the fills charged in USDT. */
  readonly feeUsdt: number;
  /** Σ price·qty / Σ qty, null without fills. */
  readonly averagePrice: number | null;
  /** Σ qty (base asset). */
  readonly quantity: number;
  readonly fillCount: number;
  /** Commission charged in other assets (BNB fee discount), by asset: not in feeUsdt. */
  readonly otherFees: ReadonlyMap<string, number>;
}

/**
 * Rows of GET /fapi/v1/userTrades → the fee and average price of order `orderId`
 * (rows of other orders are ignored). Fee = Σ commission where commissionAsset is USDT;
 * average price = Σ price·qty / Σ qty.
 */
export function summariseFills(response: unknown, orderId: string): FillSummary {
  let feeUsdt = 0;
  let quantity = 0;
  let quoteQuantity = 0;
  let fillCount = 0;
  const otherFees = new Map<string, number>();
  for (const row of asArray(response)) {
    const raw = asRecord(row);
    if (str(raw['orderId']) !== orderId) continue;
    const price = num(raw['price']);
    const qty = num(raw['qty']);
    if (price === null || qty === null || qty <= 0) continue;
    fillCount++;
    quantity += qty;
    quoteQuantity += price * qty;
    const commission = num(raw['commission']) ?? 0;
    const asset = (str(raw['commissionAsset']) ?? 'USDT').toUpperCase();
    if (asset === 'USDT') feeUsdt += commission;
    else otherFees.set(asset, (otherFees.get(asset) ?? 0) + commission);
  }
  return {
    feeUsdt,
    averagePrice: quantity > 0 ? quoteQuantity / quantity : null,
    quantity,
    fillCount,
    otherFees,
  };
}

/**
 * Rows of GET /fapi/v3/positionRisk (one-way mode) → open positions. v3 carries no
 * leverage: it comes from `leverageOf` (what this process set), else null.
 * Isolated margin is `isolatedWallet` (margin put in), falling back to `isolatedMargin`.
 */
export function parsePositions(response: unknown, leverageOf: (symbol: string) => number | null, nowMs: number): ExchangePosition[] {
  const out: ExchangePosition[] = [];
  for (const row of asArray(response)) {
    const raw = asRecord(row);
    const symbol = str(raw['symbol']);
    const amount = num(raw['positionAmt']) ?? 0;
    if (symbol === null || amount === 0) continue;
    const positionSide = (str(raw['positionSide']) ?? 'BOTH').toUpperCase();
    const side = positionSide === 'LONG' ? 'long' : positionSide === 'SHORT' ? 'short' : amount > 0 ? 'long' : 'short';
    out.push({
      symbol,
      side,
      size: Math.abs(amount),
      entryPrice: num(raw['entryPrice']) ?? 0,
      markPrice: num(raw['markPrice']) ?? 0,
      leverage: num(raw['leverage']) ?? leverageOf(symbol),
      isolatedMarginUsdt: num(raw['isolatedWallet']) ?? num(raw['isolatedMargin']) ?? 0,
      liquidationPrice: positive(raw['liquidationPrice']),
      unrealizedPnlUsdt: num(raw['unRealizedProfit']) ?? 0,
      updatedAt: positive(raw['updateTime']) ?? nowMs,
    });
  }
  return out;
}

/** GET /fapi/v3/account → the USDT asset's balance (equity = wallet + unrealised P&L). */
export function parseAccountBalance(response: unknown, asset = 'USDT'): Balance {
  const account = asRecord(response);
  const row = asArray(account['assets'])
    .map(asRecord)
    .find((a) => str(a['asset']) === asset);
  const wallet = num(row?.['walletBalance']) ?? num(account['totalWalletBalance']) ?? 0;
  const unrealized = num(row?.['unrealizedProfit']) ?? num(account['totalUnrealizedProfit']) ?? 0;
  const available = num(row?.['availableBalance']) ?? num(account['availableBalance']) ?? 0;
  return {
    walletBalanceUsdt: wallet,
    availableBalanceUsdt: available,
    unrealizedPnlUsdt: unrealized,
    equityUsdt: wallet + unrealized,
  };
}

/** Each row of a list response through `parse` (null: the row is skipped), oldest first by `timeOf`. */
function parseRows<T>(response: unknown, parse: (raw: Raw) => T | null, timeOf: (item: T) => number): T[] {
  const out: T[] = [];
  for (const row of asArray(response)) {
    const item = parse(asRecord(row));
    if (item !== null) out.push(item);
  }
  return out.sort((a, b) => timeOf(a) - timeOf(b));
}

/** Rows of GET /fapi/v1/income (incomeType FUNDING_FEE) → funding payments, signed (+ received). */
export function parseFundingPayments(response: unknown): FundingPayment[] {
  return parseRows(
    response,
    (raw): FundingPayment | null => {
      const symbol = str(raw['symbol']);
      const amount = num(raw['income']);
      const timestamp = num(raw['time']);
      if (symbol === null || amount === null || timestamp === null) return null;
      if ((str(raw['incomeType']) ?? 'FUNDING_FEE') !== 'FUNDING_FEE') return null;
      return { symbol, timestamp, amountUsdt: amount };
    },
    (payment) => payment.timestamp,
  );
}

/**
 * Rows of GET /fapi/v1/forceOrders (the account's liquidation/ADL orders) → forced closes.
 * The order's side closes the position: a SELL closed a long.
 */
export function parseForcedCloses(response: unknown): ForcedClose[] {
  return parseRows(
    response,
    (raw): ForcedClose | null => {
      const symbol = str(raw['symbol']);
      const price = num(raw['avgPrice']) ?? num(raw['price']);
      const size = num(raw['executedQty']) ?? num(raw['origQty']);
      const at = num(raw['updateTime']) ?? num(raw['time']);
      const side = str(raw['side']);
      if (symbol === null || price === null || size === null || at === null || size <= 0) return null;
      return { symbol, side: side === 'SELL' ? 'long' : 'short', size, price, at };
    },
    (close) => close.at,
  );
}

/** Rows of GET /fapi/v1/userTrades → the account's fills (USDT commissions), oldest first. */
export function parseAccountFills(response: unknown): AccountFill[] {
  return parseRows(
    response,
    (raw): AccountFill | null => {
      const symbol = str(raw['symbol']);
      const price = num(raw['price']);
      const quantity = num(raw['qty']);
      const at = num(raw['time']);
      const side = str(raw['side']);
      if (symbol === null || price === null || quantity === null || at === null || quantity <= 0 || (side !== 'BUY' && side !== 'SELL'))
        return null;
      const usdt = (str(raw['commissionAsset']) ?? 'USDT').toUpperCase() === 'USDT';
      return { symbol, side: side === 'BUY' ? 'buy' : 'sell', price, quantity, feeUsdt: usdt ? (num(raw['commission']) ?? 0) : 0, at };
    },
    (fill) => fill.at,
  );
}

/** A kline row with its close time (ms, inclusive: openTime + interval - 1). */
export interface Kline {
  readonly candle: Candle;
  readonly closeTime: number;
}

/** Rows of GET /fapi/v1/klines → candles (open time as timestamp), oldest first. */
export function parseKlines(response: unknown): Kline[] {
  const out: Kline[] = [];
  for (const row of asArray(response)) {
    if (!Array.isArray(row)) continue;
    const timestamp = num(row[0]);
    const open = num(row[1]);
    const high = num(row[2]);
    const low = num(row[3]);
    const close = num(row[4]);
    const volume = num(row[5]);
    const closeTime = num(row[6]);
    if (timestamp === null || open === null || high === null || low === null || close === null || volume === null || closeTime === null) {
      continue;
    }
    out.push({ candle: { timestamp, open, high, low, close, volume }, closeTime });
  }
  return out.sort((a, b) => a.candle.timestamp - b.candle.timestamp);
}
