/**
 * The paper exchange: a simulated Binance USDT-M venue (one-way mode, isolated margin)
 * that `npm start` trades on by default and every backtest runs on.
 *
 * It fills against the *next* price it is shown, never the one the engine decided on:
 * - `onCandle(closed)` (= `openCandle` + `finishCandle`) is called for each closed candle
 *   before the engine decides at that candle's close. Orders placed after the previous
 *   close fill inside this candle: market orders at its open ± slippage, then stops,
 *   take-profits, resting limits and mark-price liquidation along the intrabar path
 *   (BLUEPRINT "Paper fills inside a candle (Decided)"), then funding at the 8-hourly
 *   events that fall in the candle. The replay loop calls the two phases separately so
 *   the SL/TP of an entry filled at the open is on the book before the path is walked.
 * - `onTicker(...)` does the same at a single live price (live market data, paper venue).
 *
 * Simplifications, each on purpose: fills are whole (no partial fills, no order-book
 * depth beyond the slippage rate); fees come out of the wallet, funding out of the
 * position's isolated margin (as Binance books it); a liquidation loses the whole
 * isolated margin, and a closing fill beyond the liquidation price (a gap through the stop
 * and the liquidation price) is a liquidation, so a position never loses more than its
 * margin; the take-profit is a resting reduce-only limit (its price, maker fee, no
 * slippage); a take-profit-market fills like a stop; only the 00/08/16 UTC funding
 * schedule is modelled.
 *
 * It rejects what Binance rejects (filters via `validateOrder`, reduce-only, duplicate
 * client ids, leverage, margin), with Binance's codes, so paper results carry over to live.
 */
import { isolatedLiquidationPrice, maxLeverageFor, roundQty, validateOrder } from '../../engine/exchange-rules.js';
import type { ClosedCandle, Clock, Exchange, Logger, Priority } from '../../engine/ports.js';
import type {
  Balance,
  ExchangePosition,
  FundingEvent,
  ForcedClose,
  FundingPayment,
  OrderRequest,
  OrderSide,
  OrderState,
  OrderStatus,
  SymbolRules,
} from '../../engine/types.js';
import { CANDLE_MS } from '../../engine/types.js';
import { InsufficientFundsError, InvalidOrderError } from '../../errors.js';
import { intrabarPath, pathFraction, pathLength, slippedPrice, triggeredFillPrice } from './intrabar.js';
import type {
  PaperEvent,
  PaperExchangeDeps,
  PaperExchangeOptions,
  PaperMarketState,
  PaperOrderRecord,
  PaperPositionState,
  PaperState,
  PaperTotals,
} from './types.js';

const FUNDING_INTERVAL_MS = 8 * 3_600_000;
/** A data funding event counts for a grid time when within this distance (Binance stamps can be a few ms late). */
const FUNDING_MATCH_TOLERANCE_MS = 60_000;
/** Prune retained order history in batches of this many beyond the limit. */
const HISTORY_PRUNE_SLACK = 100;

type Direction = 'fall' | 'rise';

interface MutablePosition {
  symbol: string;
  side: 'long' | 'short';
  size: number;
  entryPrice: number;
  isolatedMarginUsdt: number;
  openedAt: number;
  updatedAt: number;
}

interface MutableTotals {
  feesUsdt: number;
  fundingUsdt: number;
  realizedPnlUsdt: number;
  liquidations: number;
  liquidationLossUsdt: number;
  fills: number;
}

/** The walk currently in progress (one symbol's candle or ticker). */
interface WalkContext {
  readonly symbol: string;
  price: number;
  readonly basisUsdt: number;
  /** The hour's mark range; the intrabar mark is kept inside it. null when unknown. */
  readonly markRange: { readonly low: number; readonly high: number } | null;
  /** The candle's extremes: a triggered fill never goes beyond them. */
  readonly low: number;
  readonly high: number;
}

interface Trigger {
  /** null for the liquidation trigger. */
  readonly record: PaperOrderRecord | null;
  readonly direction: Direction;
  /** Trade price at which it fires (±Infinity: fires at once). */
  readonly level: number;
}

type MutableMarketState = { -readonly [K in keyof PaperMarketState]: PaperMarketState[K] };

/** Events kept for `drainEvents` when nobody drains them; the oldest go first. */
const MAX_UNDRAINED_EVENTS = 200;

export class PaperExchange implements Exchange {
  readonly kind = 'paper' as const;

  private readonly rules: ReadonlyMap<string, SymbolRules>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly takerFeeRate: number;
  private readonly makerFeeRate: number;
  private readonly slippageRate: number;
  private readonly fundingRateFallback: number;
  private readonly funding: ReadonlyMap<string, readonly FundingEvent[]>;
  private readonly candleIntervalMs: number;
  private readonly markIntervalMs: number;
  private readonly defaultLeverage: number;
  private readonly defaultMinNotionalUsdt: number;
  private readonly orderHistoryLimit: number;
  private readonly onEvent: ((event: PaperEvent) => void) | null;

  private walletBalanceUsdt: number;
  private nextOrderSeq = 1;
  private readonly leverage = new Map<string, number>();
  private readonly positions = new Map<string, MutablePosition>();
  /** All retained orders by `symbol|clientOrderId`, in placement order. */
  private readonly orders = new Map<string, PaperOrderRecord>();
  /** The open subset of `orders`, same keys, placement order. */
  private readonly openOrders = new Map<string, PaperOrderRecord>();
  private fundingPayments: FundingPayment[] = [];
  private forcedCloses: ForcedClose[] = [];
  private readonly markets = new Map<string, PaperMarketState>();
  private events: PaperEvent[] = [];
  private totals: MutableTotals = emptyTotals();

  private walk: WalkContext | null = null;
  /** Simulated time while a candle is processed (intrabar event times); null otherwise. */
  private simNowMs: number | null = null;
  private readonly fallbackLogged = new Set<string>();

  constructor(options: PaperExchangeOptions) {
    this.rules = options.rules;
    this.clock = options.clock;
    this.logger = options.logger.child('paper');
    this.takerFeeRate = options.takerFeeRate ?? 0.0005;
    this.makerFeeRate = options.makerFeeRate ?? 0.0002;
    this.slippageRate = options.slippageRate ?? 0.0005;
    this.fundingRateFallback = options.fundingRateFallback ?? 0.0001;
    this.funding = options.funding ?? new Map();
    this.candleIntervalMs = options.candleIntervalMs ?? CANDLE_MS;
    this.markIntervalMs = options.markIntervalMs ?? 3_600_000;
    this.defaultLeverage = options.defaultLeverage ?? 20;
    this.defaultMinNotionalUsdt = options.defaultMinNotionalUsdt ?? 10;
    this.orderHistoryLimit = options.orderHistoryLimit ?? 2000;
    this.onEvent = options.onEvent ?? null;
    this.walletBalanceUsdt = options.startingBalanceUsdt ?? 1000;
  }

  /** A paper exchange resumed from `toJSON()` output (after a JSON round trip). */
  static fromJSON(state: PaperState, deps: PaperExchangeDeps): PaperExchange {
    const exchange = new PaperExchange(deps);
    exchange.restore(state);
    return exchange;
  }

  // ─── Exchange port ────────────────────────────────────────────────────────────

  async loadRules(symbols: readonly string[]): Promise<Map<string, SymbolRules>> {
    const result = new Map<string, SymbolRules>();
    for (const symbol of symbols) {
      const rules = this.rules.get(symbol);
      if (rules === undefined) throw new InvalidOrderError(`Invalid symbol: the paper exchange has no rules for ${symbol}`, '-1121');
      result.set(symbol, rules);
    }
    return result;
  }

  /** Isolated margin is the only mode the paper venue has. */
  async setIsolatedMargin(symbol: string): Promise<void> {
    this.rulesOf(symbol);
  }

  /** Whole numbers from 1 to the bracket's maximum for the current position (Binance -4028 / -2027). */
  async setLeverage(symbol: string, leverage: number): Promise<void> {
    const rules = this.rulesOf(symbol);
    const maxForNoPosition = maxLeverageFor(rules.brackets, 0);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > maxForNoPosition) {
      throw new InvalidOrderError(`Leverage ${leverage} is not valid for ${symbol} (whole number 1..${maxForNoPosition})`, '-4028');
    }
    const position = this.positions.get(symbol);
    if (position !== undefined && leverage > maxLeverageFor(rules.brackets, position.size * position.entryPrice)) {
      throw new InvalidOrderError(
        `Exceeded the maximum allowable position at current leverage: ${symbol} position notional ` +
          `${(position.size * position.entryPrice).toFixed(2)} USDT allows at most ` +
          `${maxLeverageFor(rules.brackets, position.size * position.entryPrice)}x`,
        '-2027',
      );
    }
    this.leverage.set(symbol, leverage);
  }

  async placeOrder(request: OrderRequest, _priority: Priority): Promise<OrderState> {
    return this.placeOrderNow(request);
  }

  async cancelOrder(symbol: string, clientOrderId: string, _priority: Priority): Promise<void> {
    this.cancelOrderNow(symbol, clientOrderId);
  }

  async fetchOrder(symbol: string, clientOrderId: string): Promise<OrderState | null> {
    return this.orders.get(orderKey(symbol, clientOrderId))?.state ?? null;
  }

  async fetchOpenOrders(symbol?: string): Promise<OrderState[]> {
    const result: OrderState[] = [];
    for (const record of this.openOrders.values()) {
      if (symbol === undefined || record.state.symbol === symbol) result.push(record.state);
    }
    return result;
  }

  async fetchPositions(_priority: Priority): Promise<ExchangePosition[]> {
    return [...this.positions.values()].map((p) => this.exchangePosition(p, this.lastMarkOf(p)));
  }

  /** available = wallet − isolated margins − margin held for open orders; equity = wallet + unrealised. */
  async fetchBalance(): Promise<Balance> {
    let unrealizedPnlUsdt = 0;
    for (const position of this.positions.values()) {
      unrealizedPnlUsdt += unrealizedPnl(position, this.lastMarkOf(position));
    }
    return {
      walletBalanceUsdt: this.walletBalanceUsdt,
      availableBalanceUsdt: this.availableBalanceUsdt(),
      unrealizedPnlUsdt,
      equityUsdt: this.walletBalanceUsdt + unrealizedPnlUsdt,
    };
  }

  /** Payments at or after `sinceMs`, oldest first (Binance income history, FUNDING_FEE). */
  async fetchFundingPayments(symbol: string, sinceMs: number): Promise<FundingPayment[]> {
    return this.fundingPayments.filter((p) => p.symbol === symbol && p.timestamp >= sinceMs);
  }

  async fetchForcedCloses(symbol: string, sinceMs: number): Promise<ForcedClose[]> {
    return this.forcedCloses.filter((c) => c.symbol === symbol && c.at >= sinceMs);
  }

  // ─── Synchronous order entry (also for `onEvent` listeners) ──────────────────

  /**
   * Places an order at once. Rejections, in Binance's order of checks: unknown symbol
   * -1121, duplicate client id -4116, filters (validateOrder), reduce-only that would not
   * reduce -2022, a stop that would trigger immediately -2021, position above the
   * bracket's cap for the leverage -2027, not enough margin -2019 (InsufficientFundsError).
   */
  placeOrderNow(request: OrderRequest): OrderState {
    const { symbol, side, type, quantity, reduceOnly, clientOrderId } = request;
    const rules = this.rulesOf(symbol);
    const key = orderKey(symbol, clientOrderId);
    if (this.orders.has(key)) {
      throw new InvalidOrderError(`ClientOrderId is duplicated: ${clientOrderId} already used on ${symbol}`, '-4116');
    }
    if ((type === 'stop_market' || type === 'take_profit_market') && !reduceOnly) {
      throw new InvalidOrderError(`The paper exchange takes ${type} orders only as reduce-only (${clientOrderId})`, null);
    }
    const lastPrice = this.currentPriceOf(symbol);
    const referencePrice = request.price ?? lastPrice ?? request.stopPrice;
    if (referencePrice === undefined || referencePrice === null) {
      throw new InvalidOrderError(`No price for ${symbol} yet: feed a candle or ticker before the first order`, null);
    }
    const filters = { ...rules.filters, minNotional: rules.filters.minNotional ?? this.defaultMinNotionalUsdt };
    const rejection = validateOrder(filters, {
      type,
      quantity,
      ...(request.price === undefined ? {} : { price: request.price }),
      ...(request.stopPrice === undefined ? {} : { stopPrice: request.stopPrice }),
      reduceOnly,
      referencePrice,
    });
    if (rejection !== null) {
      throw new InvalidOrderError(
        `${rejection.message} (${symbol} ${side} ${type} qty ${quantity}${request.price === undefined ? '' : ` price ${request.price}`}` +
          `${request.stopPrice === undefined ? '' : ` stop ${request.stopPrice}`})`,
        rejection.code,
      );
    }

    const sign = sideSign(side);
    const position = this.positions.get(symbol);
    if (reduceOnly && (position === undefined || positionSign(position) === sign)) {
      throw new InvalidOrderError(
        `ReduceOnly Order is rejected: ${side} ${quantity} ${symbol} would ${position === undefined ? 'open' : 'increase'} a position`,
        '-2022',
      );
    }
    if (request.stopPrice !== undefined && lastPrice !== null && wouldTriggerImmediately(type, side, request.stopPrice, lastPrice)) {
      throw new InvalidOrderError(
        `Order would immediately trigger: ${side} ${type} stop ${request.stopPrice} vs last price ${lastPrice} on ${symbol}`,
        '-2021',
      );
    }

    let reservedMarginUsdt = 0;
    if (!reduceOnly) {
      const opposite = position !== undefined && positionSign(position) !== sign ? position.size : 0;
      const sameSide = position !== undefined && positionSign(position) === sign ? position.size : 0;
      const openingQty = Math.max(0, quantity - opposite);
      const leverage = this.leverageOf(symbol);
      if (openingQty > 0) {
        const notionalAfterUsdt = (sameSide + openingQty) * referencePrice;
        const maxLeverage = maxLeverageFor(rules.brackets, notionalAfterUsdt);
        if (leverage > maxLeverage) {
          throw new InvalidOrderError(
            `Exceeded the maximum allowable position at current leverage: ${symbol} notional ` +
              `${notionalAfterUsdt.toFixed(2)} USDT allows at most ${maxLeverage}x, leverage is ${leverage}x`,
            '-2027',
          );
        }
      }
      reservedMarginUsdt = (openingQty * referencePrice) / leverage + quantity * referencePrice * this.takerFeeRate;
      const availableUsdt = this.availableBalanceUsdt();
      if (reservedMarginUsdt > availableUsdt + 1e-9) {
        throw new InsufficientFundsError(
          `Margin is insufficient (-2019): ${side} ${quantity} ${symbol} at ${leverage}x needs ` +
            `${reservedMarginUsdt.toFixed(4)} USDT (initial margin + fee), available ${availableUsdt.toFixed(4)} USDT`,
        );
      }
    }

    const now = this.nowMs();
    const seq = this.nextOrderSeq++;
    const state: OrderState = {
      clientOrderId,
      exchangeOrderId: String(seq),
      symbol,
      side,
      type,
      status: 'new',
      quantity,
      filledQuantity: 0,
      averagePrice: null,
      price: request.price ?? null,
      stopPrice: request.stopPrice ?? null,
      reduceOnly,
      feeUsdt: 0,
      createdAt: now,
      updatedAt: now,
    };
    const record: PaperOrderRecord = { seq, state, reservedMarginUsdt, resting: false };
    this.orders.set(key, record);
    this.openOrders.set(key, record);
    this.logger.debug('paper order placed', {
      symbol,
      clientOrderId,
      side,
      type,
      quantity,
      price: state.price,
      stopPrice: state.stopPrice,
      reduceOnly,
    });
    return state;
  }

  /** Cancels an open order; unknown or already closed → -2011 like Binance. */
  cancelOrderNow(symbol: string, clientOrderId: string): void {
    const record = this.openOrders.get(orderKey(symbol, clientOrderId));
    if (record === undefined) {
      throw new InvalidOrderError(`Unknown order sent: no open order ${clientOrderId} on ${symbol}`, '-2011');
    }
    this.closeOrder(record, 'canceled', this.nowMs());
  }

  // ─── Price feed ───────────────────────────────────────────────────────────────

  /** Several symbols' candles of one close time. */
  onCandles(batch: readonly ClosedCandle[]): void {
    for (const closed of batch) this.onCandle(closed);
  }

  /**
   * Processes one closed candle: `openCandle` then `finishCandle`, nothing in between.
   */
  onCandle(closed: ClosedCandle): void {
    this.openCandle(closed);
    this.finishCandle(closed);
  }

  /**
   * First phase of a candle (replay loop step 1): (a) pending market orders fill at the
   * open ± slippage, limit orders placed since the last price take liquidity if they
   * cross the open, and whatever the open gapped through fires. Orders placed before
   * `finishCandle` (the SL/TP of an entry that just filled) are on the book at the open,
   * as a live stop is a moment after its entry fills; the venue's price is the open.
   * Idempotent; a candle at or before the last finished one is ignored.
   *
   * Mark inside the hour = trade price + the hour's basis (mark.open − trade open of the
   * hour's first 5m candle), kept per symbol per hour. When the first candle seen of an
   * hour is not its first (start mid-hour, gap), the basis is mark.open − this candle's
   * open: the best estimate available. The intrabar mark is also kept inside the hour's
   * mark high/low, which the real mark never left. No mark candle: mark = trade price.
   */
  openCandle(closed: ClosedCandle): void {
    if (this.isIdle(closed.symbol)) {
      this.advanceIdle(closed, false);
      return;
    }
    const context = this.candleContext(closed);
    if (context === null) return;
    const { candle } = closed;
    this.runWalk(context, [candle.open], candle.timestamp, this.candleIntervalMs);
    const market = this.markets.get(closed.symbol);
    this.markets.set(closed.symbol, {
      lastPrice: candle.open,
      lastMarkPrice: clampToRange(candle.open + context.basisUsdt, context.markRange),
      lastAt: market?.lastAt ?? candle.timestamp,
      basisHourMs: closed.mark === null ? (market?.basisHourMs ?? null) : closed.mark.timestamp,
      basisUsdt: closed.mark === null ? (market?.basisUsdt ?? 0) : context.basisUsdt,
      fundingSettledMs: market?.fundingSettledMs ?? candle.timestamp,
    });
  }

  /**
   * Second phase (replay loop step 3): orders placed since `openCandle` are settled at the
   * open as in (a); then (b) the intrabar walk — open → low → high → close when the candle
   * closes up, else open → high → low → close — fires stops, take-profits, resting limits
   * and liquidation where the path reaches them; (c) funding events in (previous close,
   * this close]; (d) reduce-only orders of a symbol left without a position expire
   * (Binance expires them when the position closes). Without `openCandle` it does both.
   * Returns whether an order filled or a position was liquidated during the candle.
   */
  finishCandle(closed: ClosedCandle): boolean {
    if (this.isIdle(closed.symbol)) {
      this.advanceIdle(closed, true);
      return false;
    }
    const { symbol, candle, mark } = closed;
    const context = this.candleContext(closed);
    if (context === null) return false;
    const activityBefore = this.totals.fills + this.totals.liquidations;
    const closeMs = candle.timestamp + this.candleIntervalMs;
    const market = this.markets.get(symbol);
    this.runWalk(context, intrabarPath(candle), candle.timestamp, this.candleIntervalMs);

    const markAtCloseUsdt =
      mark !== null && closeMs === mark.timestamp + this.markIntervalMs
        ? mark.close
        : clampToRange(candle.close + context.basisUsdt, context.markRange);
    this.settleFunding(symbol, market?.fundingSettledMs ?? candle.timestamp, closeMs, markAtCloseUsdt);
    this.expireOrphanReduceOnly(symbol, closeMs);
    this.markets.set(symbol, {
      lastPrice: candle.close,
      lastMarkPrice: markAtCloseUsdt,
      lastAt: closeMs,
      basisHourMs: mark === null ? (market?.basisHourMs ?? null) : mark.timestamp,
      basisUsdt: mark === null ? (market?.basisUsdt ?? 0) : context.basisUsdt,
      fundingSettledMs: closeMs,
    });
    return this.totals.fills + this.totals.liquidations !== activityBefore;
  }

  /** No position and no open order: nothing on this symbol can fill, liquidate or pay funding. */
  private isIdle(symbol: string): boolean {
    return !this.positions.has(symbol) && !this.hasOpenOrders(symbol);
  }

  /**
   * The cheap path of `openCandle`/`finishCandle` for an idle symbol (most candles of a
   * backtest): only the market state moves, with the same prices, basis and times the full
   * path would record. Allocation-free once the symbol's market state exists.
   */
  private advanceIdle(closed: ClosedCandle, finished: boolean): void {
    const { symbol, candle, mark } = closed;
    const closeMs = candle.timestamp + this.candleIntervalMs;
    const market = this.markets.get(symbol) as MutableMarketState | undefined;
    if (market !== undefined && closeMs <= market.lastAt) {
      this.logger.warn('paper candle ignored: not after the last one seen', { symbol, candleAt: candle.timestamp, lastAt: market.lastAt });
      return;
    }
    // As `candleContext`: the candle's basis is 0 without a mark candle, while the stored
    // basis of the hour is kept for later candles.
    const candleBasisUsdt =
      mark === null ? 0 : market !== undefined && market.basisHourMs === mark.timestamp ? market.basisUsdt : mark.open - candle.open;
    const basisUsdt = mark === null ? (market?.basisUsdt ?? 0) : candleBasisUsdt;
    const price = finished ? candle.close : candle.open;
    const markPrice =
      finished && mark !== null && closeMs === mark.timestamp + this.markIntervalMs
        ? mark.close
        : mark === null
          ? price
          : Math.min(mark.high, Math.max(mark.low, price + candleBasisUsdt));
    const basisHourMs = mark === null ? (market?.basisHourMs ?? null) : mark.timestamp;
    if (market === undefined) {
      this.markets.set(symbol, {
        lastPrice: price,
        lastMarkPrice: markPrice,
        lastAt: finished ? closeMs : candle.timestamp,
        basisHourMs,
        basisUsdt,
        fundingSettledMs: finished ? closeMs : candle.timestamp,
      });
      return;
    }
    market.lastPrice = price;
    market.lastMarkPrice = markPrice;
    market.basisHourMs = basisHourMs;
    market.basisUsdt = basisUsdt;
    if (finished) {
      market.lastAt = closeMs;
      market.fundingSettledMs = closeMs;
    }
  }

  /** The walk context at the candle's open, or null (logged) for a candle not after the last finished one. */
  private candleContext(closed: ClosedCandle): WalkContext | null {
    const { symbol, candle, mark } = closed;
    const market = this.markets.get(symbol);
    if (market !== undefined && candle.timestamp + this.candleIntervalMs <= market.lastAt) {
      this.logger.warn('paper candle ignored: not after the last one seen', { symbol, candleAt: candle.timestamp, lastAt: market.lastAt });
      return null;
    }
    let basisUsdt = 0;
    if (mark !== null) {
      basisUsdt = market !== undefined && market.basisHourMs === mark.timestamp ? market.basisUsdt : mark.open - candle.open;
    }
    return {
      symbol,
      price: candle.open,
      basisUsdt,
      markRange: mark === null ? null : { low: mark.low, high: mark.high },
      low: candle.low,
      high: candle.high,
    };
  }

  /**
   * Live market data on the paper venue: pending market orders fill at `price` ± slippage;
   * stops, take-profits, limits and liquidation are checked at this single price (a stop
   * the price is already through fills at `price`); funding events up to `timestampMs`
   * are settled at `markPrice` (trade price + last basis when null).
   */
  onTicker(symbol: string, price: number, markPrice: number | null, timestampMs: number): void {
    const market = this.markets.get(symbol);
    if (market !== undefined && timestampMs < market.lastAt) return;
    const basisUsdt = markPrice === null ? (market?.basisUsdt ?? 0) : markPrice - price;
    this.runWalk({ symbol, price, basisUsdt, markRange: null, low: price, high: price }, [price], timestampMs, 0);
    const markUsdt = markPrice ?? price + basisUsdt;
    this.settleFunding(symbol, market?.fundingSettledMs ?? timestampMs, timestampMs, markUsdt);
    this.expireOrphanReduceOnly(symbol, timestampMs);
    this.markets.set(symbol, {
      lastPrice: price,
      lastMarkPrice: markUsdt,
      lastAt: timestampMs,
      basisHourMs: Math.floor(timestampMs / this.markIntervalMs) * this.markIntervalMs,
      basisUsdt,
      fundingSettledMs: Math.max(timestampMs, market?.fundingSettledMs ?? timestampMs),
    });
  }

  /** Returns the events since the last call (fills, liquidations, funding, cancels), oldest first. */
  drainEvents(): PaperEvent[] {
    const drained = this.events;
    this.events = [];
    return drained;
  }

  // ─── Read-outs for backtests and reports ───────────────────────────────────────

  totalsSoFar(): PaperTotals {
    return { ...this.totals };
  }

  lastPriceOf(symbol: string): number | null {
    return this.markets.get(symbol)?.lastPrice ?? null;
  }

  /** The leverage new orders of `symbol` use. */
  leverageOf(symbol: string): number {
    const set = this.leverage.get(symbol);
    if (set !== undefined) return set;
    const rules = this.rules.get(symbol);
    return rules === undefined ? this.defaultLeverage : Math.min(this.defaultLeverage, maxLeverageFor(rules.brackets, 0));
  }

  // ─── Serialisation ───────────────────────────────────────────────────────────

  /** Plain JSON-safe state; `fromJSON(JSON.parse(JSON.stringify(toJSON())))` behaves identically. */
  toJSON(): PaperState {
    const state: PaperState = {
      version: 1,
      walletBalanceUsdt: this.walletBalanceUsdt,
      nextOrderSeq: this.nextOrderSeq,
      leverage: Object.fromEntries(this.leverage),
      positions: [...this.positions.values()].map((p): PaperPositionState => ({ ...p })),
      orders: [...this.orders.values()],
      fundingPayments: this.fundingPayments,
      forcedCloses: this.forcedCloses,
      markets: Object.fromEntries(this.markets),
      events: this.events,
      totals: this.totals,
    };
    // One JSON pass: deep copy (no aliasing with live state) and -0 → 0, exactly what a store round trip gives.
    return JSON.parse(JSON.stringify(state)) as PaperState;
  }

  /** Replaces the whole state with `state` (from `toJSON`, possibly after a JSON round trip). */
  restore(state: PaperState): void {
    if (state.version !== 1) throw new InvalidOrderError(`Unknown paper state version ${String(state.version)}`, null);
    const copy = JSON.parse(JSON.stringify(state)) as PaperState;
    this.walletBalanceUsdt = copy.walletBalanceUsdt;
    this.nextOrderSeq = copy.nextOrderSeq;
    this.leverage.clear();
    for (const [symbol, leverage] of Object.entries(copy.leverage)) this.leverage.set(symbol, leverage);
    this.positions.clear();
    for (const p of copy.positions) this.positions.set(p.symbol, { ...p });
    this.orders.clear();
    this.openOrders.clear();
    for (const record of copy.orders) {
      const key = orderKey(record.state.symbol, record.state.clientOrderId);
      this.orders.set(key, record);
      if (isOpen(record.state.status)) this.openOrders.set(key, record);
    }
    this.fundingPayments = [...copy.fundingPayments];
    this.forcedCloses = [...(copy.forcedCloses ?? [])];
    this.markets.clear();
    for (const [symbol, market] of Object.entries(copy.markets)) this.markets.set(symbol, market);
    this.events = [...copy.events];
    this.totals = { ...copy.totals };
    this.walk = null;
    this.simNowMs = null;
  }

  // ─── The walk ────────────────────────────────────────────────────────────────

  /**
   * Walks `path` (prices, first = open) from `startMs` over `durationMs`. At the first
   * price: pending market orders, first-seen limit orders, then anything the price is
   * already through (gap). Along each leg: the trigger the price reaches first, one at a
   * time, re-reading the book after each fill (a fill changes the position, the
   * liquidation price and which reduce-only orders still make sense).
   */
  private runWalk(context: WalkContext, path: readonly number[], startMs: number, durationMs: number): void {
    // Nothing can fill or liquidate on a symbol with no position and no open order.
    if (!this.positions.has(context.symbol) && !this.hasOpenOrders(context.symbol)) return;
    const total = pathLength(path);
    const maxSteps = this.openOrders.size + 8;
    this.walk = context;
    this.simNowMs = startMs;
    try {
      this.settleFirstPrice(context, startMs);
      let travelled = 0;
      for (let leg = 0; leg < path.length; leg++) {
        const target = path[leg]!;
        const direction: Direction | null = target < context.price ? 'fall' : target > context.price ? 'rise' : null;
        for (let step = 0; step < maxSteps + this.openOrders.size; step++) {
          const trigger = this.nextTrigger(context, direction, target);
          if (trigger === null) break;
          const reached = trigger.direction === 'fall' ? Math.min(trigger.level, context.price) : Math.max(trigger.level, context.price);
          const gapped = trigger.direction === 'fall' ? trigger.level > context.price : trigger.level < context.price;
          travelled += Math.abs(context.price - reached);
          context.price = reached;
          const atMs = startMs + Math.round(durationMs * pathFraction(travelled, total));
          this.simNowMs = atMs;
          this.fire(context, trigger, gapped, atMs);
        }
        travelled += Math.abs(target - context.price);
        context.price = target;
      }
    } finally {
      this.walk = null;
      this.simNowMs = null;
    }
  }

  /** (a) Market orders at the first price ± slippage; limit orders that cross it take liquidity there. */
  private settleFirstPrice(context: WalkContext, atMs: number): void {
    const { symbol, price } = context;
    const open = this.openOrdersOf(symbol);
    if (open.length === 0) return;
    const tickSize = this.rulesOf(symbol).filters.tickSize;
    for (const record of open) {
      if (record.state.type !== 'market') continue;
      const fillPrice = slippedPrice(record.state.side, price, this.slippageRate, tickSize);
      if (this.liquidatesInstead(context, record, fillPrice, atMs)) continue;
      this.fill(record, fillPrice, this.takerFeeRate, atMs);
    }
    for (const record of this.openOrdersOf(symbol)) {
      if (record.state.type !== 'limit' || record.resting) continue;
      const limit = record.state.price!;
      const buy = record.state.side === 'buy';
      const crosses = buy ? price <= limit : price >= limit;
      if (crosses) {
        const slipped = slippedPrice(record.state.side, price, this.slippageRate, tickSize);
        this.fill(record, buy ? Math.min(slipped, limit) : Math.max(slipped, limit), this.takerFeeRate, atMs);
      } else {
        this.replaceOpen({ ...record, resting: true });
      }
    }
  }

  /**
   * The trigger the price reaches first from `context.price` moving to `target`
   * (`direction` null: staying put). Triggers the price is already through fire at once.
   * Ties: orders before liquidation (the stop is on the book first), then placement order.
   */
  private nextTrigger(context: WalkContext, direction: Direction | null, target: number): Trigger | null {
    // A loop instead of a closure: this runs several times per candle (hot path of backtests).
    let best: Trigger | null = null;
    let bestDistance = Infinity;
    const candidates: (Trigger | null)[] = [];
    for (const record of this.openOrders.values()) if (record.state.symbol === context.symbol) candidates.push(orderTrigger(record));
    candidates.push(this.liquidationTrigger(context));
    for (const trigger of candidates) {
      if (trigger === null) continue;
      const through = trigger.direction === 'fall' ? trigger.level >= context.price : trigger.level <= context.price;
      let distance: number;
      if (through) distance = 0;
      else if (trigger.direction !== direction) continue;
      else if (direction === 'fall' ? trigger.level < target : trigger.level > target) continue;
      else distance = Math.abs(context.price - trigger.level);
      if (best === null || distance < bestDistance || (distance === bestDistance && triggerRank(trigger) < triggerRank(best))) {
        best = trigger;
        bestDistance = distance;
      }
    }
    return best;
  }

  /**
   * The liquidation as a trade-price trigger: mark = trade + basis (kept in the hour's
   * mark range) reaches the isolated liquidation price.
   */
  private liquidationTrigger(context: WalkContext): Trigger | null {
    const position = this.positions.get(context.symbol);
    if (position === undefined) return null;
    const lp = this.liquidationPriceOf(position);
    const range = context.markRange;
    if (position.side === 'long') {
      if (!(lp > 0)) return null;
      if (range !== null && lp < range.low) return null;
      const level = range !== null && lp >= range.high ? Infinity : lp - context.basisUsdt;
      return { record: null, direction: 'fall', level };
    }
    if (range !== null && lp > range.high) return null;
    const level = range !== null && lp <= range.low ? -Infinity : lp - context.basisUsdt;
    return { record: null, direction: 'rise', level };
  }

  private fire(context: WalkContext, trigger: Trigger, gapped: boolean, atMs: number): void {
    const record = trigger.record;
    if (record === null) {
      const position = this.positions.get(context.symbol);
      if (position === undefined) return;
      const lp = this.liquidationPriceOf(position);
      const markUsdt = gapped ? clampToRange(context.price + context.basisUsdt, context.markRange) : lp;
      this.liquidate(position, lp, markUsdt, atMs);
      return;
    }
    const { side, type } = record.state;
    if (type === 'limit') {
      this.fill(record, record.state.price!, this.makerFeeRate, atMs);
      return;
    }
    // stop_market / take_profit_market: a market order once triggered.
    const tickSize = this.rulesOf(context.symbol).filters.tickSize;
    const price = gapped
      ? context.price
      : triggeredFillPrice(side, record.state.stopPrice!, this.slippageRate, tickSize, context.low, context.high);
    if (this.liquidatesInstead(context, record, price, atMs)) return;
    this.fill(record, price, this.takerFeeRate, atMs);
  }

  /**
   * BLUEPRINT "Paper fills" (Decided): an isolated position never loses more than its margin.
   * A closing fill whose mark would be at or beyond the liquidation price (a gap through both
   * the stop and the liquidation price) is a liquidation instead: the margin is lost, flagged.
   */
  private liquidatesInstead(context: WalkContext, record: PaperOrderRecord, fillPrice: number, atMs: number): boolean {
    const position = this.positions.get(context.symbol);
    if (position === undefined || positionSign(position) === sideSign(record.state.side)) return false;
    const lp = this.liquidationPriceOf(position);
    const markUsdt = clampToRange(fillPrice + context.basisUsdt, context.markRange);
    const beyond = position.side === 'long' ? lp > 0 && markUsdt <= lp : lp > 0 && markUsdt >= lp;
    if (!beyond) return false;
    this.liquidate(position, lp, markUsdt, atMs);
    return true;
  }

  // ─── Account mechanics ───────────────────────────────────────────────────────

  /**
   * Fills the rest of `record` at `price`. One-way mode: the part against the position
   * closes it (realised P&L, margin released pro rata), the rest opens or adds (margin =
   * notional / leverage). Fees come out of the wallet. A reduce-only order fills at most
   * the position's size and is reported filled with that quantity; with no position to
   * reduce it expires (Binance).
   */
  private fill(record: PaperOrderRecord, price: number, feeRate: number, atMs: number): void {
    const order = record.state;
    const symbol = order.symbol;
    const rules = this.rulesOf(symbol);
    const stepSize = Math.min(rules.filters.stepSize, rules.filters.marketStepSize);
    const sign = sideSign(order.side);
    const position = this.positions.get(symbol);
    let quantity = order.quantity - order.filledQuantity;
    if (order.reduceOnly) {
      if (position === undefined || positionSign(position) === sign) {
        this.closeOrder(record, 'expired', atMs);
        return;
      }
      quantity = Math.min(quantity, position.size);
    }

    let realizedPnlUsdt = 0;
    let openingQty = quantity;
    let positionClosed = false;
    if (position !== undefined && positionSign(position) !== sign) {
      const closeQty = Math.min(quantity, position.size);
      realizedPnlUsdt = positionSign(position) * closeQty * (price - position.entryPrice);
      this.walletBalanceUsdt += realizedPnlUsdt;
      const remainingSize = roundQty(position.size - closeQty, stepSize, 'nearest');
      if (remainingSize <= 0) {
        this.positions.delete(symbol);
        positionClosed = true;
      } else {
        position.isolatedMarginUsdt *= remainingSize / position.size;
        position.size = remainingSize;
        position.updatedAt = atMs;
      }
      openingQty = roundQty(quantity - closeQty, stepSize, 'nearest');
    }
    if (openingQty > 0) {
      const leverage = this.leverageOf(symbol);
      const current = this.positions.get(symbol);
      if (current !== undefined) {
        const size = roundQty(current.size + openingQty, stepSize, 'nearest');
        current.entryPrice = (current.size * current.entryPrice + openingQty * price) / (current.size + openingQty);
        current.size = size;
        current.isolatedMarginUsdt += (openingQty * price) / leverage;
        current.updatedAt = atMs;
      } else {
        this.positions.set(symbol, {
          symbol,
          side: sign > 0 ? 'long' : 'short',
          size: openingQty,
          entryPrice: price,
          isolatedMarginUsdt: (openingQty * price) / leverage,
          openedAt: atMs,
          updatedAt: atMs,
        });
        positionClosed = false;
      }
    }
    const feeUsdt = quantity * price * feeRate;
    this.walletBalanceUsdt -= feeUsdt;
    this.totals.feesUsdt += feeUsdt;
    this.totals.realizedPnlUsdt += realizedPnlUsdt;
    this.totals.fills += 1;

    const filled: OrderState = {
      ...order,
      status: 'filled',
      filledQuantity: order.filledQuantity + quantity,
      averagePrice: price,
      feeUsdt: order.feeUsdt + feeUsdt,
      updatedAt: atMs,
    };
    this.finishOrder({ ...record, state: filled, reservedMarginUsdt: 0 });
    const after = this.positions.get(symbol);
    const positionAfter = after === undefined ? null : this.exchangePosition(after, this.markAt(symbol, price));
    this.logger.debug('paper fill', {
      symbol,
      clientOrderId: order.clientOrderId,
      side: order.side,
      type: order.type,
      quantity,
      price,
      feeUsdt,
      realizedPnlUsdt,
      at: new Date(atMs).toISOString(),
    });
    this.emit({ kind: 'fill', order: filled, realizedPnlUsdt, feeUsdt, positionAfter });
    if (positionClosed && !this.positions.has(symbol)) this.expireReduceOnly(symbol, atMs);
  }

  /**
   * Liquidation (BLUEPRINT "Liquidation ≠ 100 % loss"): the position is closed at its
   * liquidation price and the whole isolated margin is lost — the price loss down to the
   * liquidation price plus Binance's clearance fee (the maintenance margin that is left).
   * Binance also cancels the symbol's open orders.
   */
  private liquidate(position: MutablePosition, liquidationPrice: number, markPrice: number, atMs: number): void {
    const lossUsdt = Math.max(0, position.isolatedMarginUsdt);
    this.walletBalanceUsdt -= lossUsdt;
    this.positions.delete(position.symbol);
    this.totals.liquidations += 1;
    this.totals.liquidationLossUsdt += lossUsdt;
    this.forcedCloses.push({ symbol: position.symbol, side: position.side, size: position.size, price: liquidationPrice, at: atMs });
    this.logger.warn('paper liquidation', {
      symbol: position.symbol,
      side: position.side,
      size: position.size,
      entryPrice: position.entryPrice,
      liquidationPrice,
      markPrice,
      lossUsdt,
      at: new Date(atMs).toISOString(),
    });
    this.emit({
      kind: 'liquidation',
      symbol: position.symbol,
      side: position.side,
      size: position.size,
      price: liquidationPrice,
      markPrice,
      lossUsdt,
      at: atMs,
    });
    for (const record of this.openOrdersOf(position.symbol)) this.closeOrder(record, 'expired', atMs);
  }

  /**
   * (c) Funding at each 00:00/08:00/16:00 UTC in (fromMs, toMs] while a position is open:
   * payment = −side × size × mark × rate (a long pays when the rate is positive). In
   * isolated mode Binance books it to the position's margin, so it moves the liquidation
   * price too. Other funding schedules (4h/1h symbols) are not modelled.
   */
  private settleFunding(symbol: string, fromMs: number, toMs: number, markPrice: number): void {
    const position = this.positions.get(symbol);
    if (position === undefined || toMs <= fromMs) return;
    let eventMs = Math.floor(fromMs / FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS + FUNDING_INTERVAL_MS;
    for (let guard = 0; eventMs <= toMs && guard < 10_000; guard++, eventMs += FUNDING_INTERVAL_MS) {
      const rate = this.fundingRateAt(symbol, eventMs);
      const amountUsdt = -positionSign(position) * position.size * markPrice * rate;
      this.walletBalanceUsdt += amountUsdt;
      position.isolatedMarginUsdt += amountUsdt;
      position.updatedAt = eventMs;
      this.totals.fundingUsdt += amountUsdt;
      this.fundingPayments.push({ symbol, timestamp: eventMs, amountUsdt });
      this.logger.debug('paper funding', { symbol, rate, markPrice, amountUsdt, at: new Date(eventMs).toISOString() });
      this.emit({ kind: 'funding', symbol, amountUsdt, rate, at: eventMs });
    }
  }

  private fundingRateAt(symbol: string, eventMs: number): number {
    const events = this.funding.get(symbol);
    if (events !== undefined) {
      const found = nearestFunding(events, eventMs);
      if (found !== null && Math.abs(found.timestamp - eventMs) <= FUNDING_MATCH_TOLERANCE_MS) return found.rate;
    }
    if (!this.fallbackLogged.has(symbol)) {
      this.fallbackLogged.add(symbol);
      this.logger.info('paper funding uses the fallback rate (no data for this event)', {
        symbol,
        rate: this.fundingRateFallback,
        at: new Date(eventMs).toISOString(),
      });
    }
    return this.fundingRateFallback;
  }

  /** (d) Reduce-only orders of a symbol without a position expire. */
  private expireOrphanReduceOnly(symbol: string, atMs: number): void {
    if (!this.positions.has(symbol)) this.expireReduceOnly(symbol, atMs);
  }

  private expireReduceOnly(symbol: string, atMs: number): void {
    for (const record of this.openOrdersOf(symbol)) {
      if (record.state.reduceOnly) this.closeOrder(record, 'expired', atMs);
    }
  }

  private closeOrder(record: PaperOrderRecord, status: Extract<OrderStatus, 'canceled' | 'expired'>, atMs: number): void {
    const state: OrderState = { ...record.state, status, updatedAt: atMs };
    this.finishOrder({ ...record, state, reservedMarginUsdt: 0 });
    this.logger.debug('paper order closed', { symbol: state.symbol, clientOrderId: state.clientOrderId, status });
    this.emit({ kind: 'canceled', order: state });
  }

  /** Moves an order out of the open book into the history (bounded). */
  private finishOrder(record: PaperOrderRecord): void {
    const key = orderKey(record.state.symbol, record.state.clientOrderId);
    this.orders.set(key, record);
    this.openOrders.delete(key);
    const terminal = this.orders.size - this.openOrders.size;
    if (terminal > this.orderHistoryLimit + HISTORY_PRUNE_SLACK) {
      let toDrop = terminal - this.orderHistoryLimit;
      for (const [k, r] of this.orders) {
        if (toDrop <= 0) break;
        if (isOpen(r.state.status)) continue;
        this.orders.delete(k);
        toDrop--;
      }
    }
  }

  private replaceOpen(record: PaperOrderRecord): void {
    const key = orderKey(record.state.symbol, record.state.clientOrderId);
    this.orders.set(key, record);
    this.openOrders.set(key, record);
  }

  private emit(event: PaperEvent): void {
    // Bounded: a caller that never drains (the engine reads the same facts through the
    // Exchange port) must not grow memory or the saved state without end.
    if (this.events.length >= MAX_UNDRAINED_EVENTS) this.events.splice(0, this.events.length - MAX_UNDRAINED_EVENTS + 1);
    this.events.push(event);
    if (this.onEvent === null) return;
    try {
      this.onEvent(event);
    } catch (error) {
      this.logger.error('paper event listener failed', { kind: event.kind, error: error instanceof Error ? error.message : String(error) });
    }
  }

  // ─── Small helpers ───────────────────────────────────────────────────────────

  private rulesOf(symbol: string): SymbolRules {
    const rules = this.rules.get(symbol);
    if (rules === undefined) throw new InvalidOrderError(`Invalid symbol: the paper exchange has no rules for ${symbol}`, '-1121');
    return rules;
  }

  /** Snapshot of a symbol's open orders (safe to iterate while orders fill). */
  private hasOpenOrders(symbol: string): boolean {
    for (const record of this.openOrders.values()) if (record.state.symbol === symbol) return true;
    return false;
  }

  private openOrdersOf(symbol: string): PaperOrderRecord[] {
    const result: PaperOrderRecord[] = [];
    for (const record of this.openOrders.values()) if (record.state.symbol === symbol) result.push(record);
    return result;
  }

  private availableBalanceUsdt(): number {
    let held = 0;
    for (const position of this.positions.values()) held += position.isolatedMarginUsdt;
    for (const record of this.openOrders.values()) held += record.reservedMarginUsdt;
    return this.walletBalanceUsdt - held;
  }

  private liquidationPriceOf(position: MutablePosition): number {
    return isolatedLiquidationPrice({
      side: position.side,
      size: position.size,
      entryPrice: position.entryPrice,
      isolatedMarginUsdt: position.isolatedMarginUsdt,
      brackets: this.rulesOf(position.symbol).brackets,
    });
  }

  private exchangePosition(position: MutablePosition, markPrice: number): ExchangePosition {
    const lp = this.liquidationPriceOf(position);
    return {
      symbol: position.symbol,
      side: position.side,
      size: position.size,
      entryPrice: position.entryPrice,
      markPrice,
      leverage: this.leverageOf(position.symbol),
      isolatedMarginUsdt: position.isolatedMarginUsdt,
      liquidationPrice: lp > 0 ? lp : null,
      unrealizedPnlUsdt: unrealizedPnl(position, markPrice),
      updatedAt: position.updatedAt,
    };
  }

  /** Trade price now: the walk's price while a candle of this symbol is processed, else the last close/ticker. */
  private currentPriceOf(symbol: string): number | null {
    if (this.walk !== null && this.walk.symbol === symbol) return this.walk.price;
    return this.markets.get(symbol)?.lastPrice ?? null;
  }

  private markAt(symbol: string, price: number): number {
    if (this.walk !== null && this.walk.symbol === symbol) return clampToRange(price + this.walk.basisUsdt, this.walk.markRange);
    return this.markets.get(symbol)?.lastMarkPrice ?? price;
  }

  private lastMarkOf(position: MutablePosition): number {
    return this.markets.get(position.symbol)?.lastMarkPrice ?? position.entryPrice;
  }

  private nowMs(): number {
    return this.simNowMs ?? this.clock.now();
  }
}

function orderKey(symbol: string, clientOrderId: string): string {
  return `${symbol}|${clientOrderId}`;
}

function isOpen(status: OrderStatus): boolean {
  return status === 'new' || status === 'partially_filled';
}

function sideSign(side: OrderSide): 1 | -1 {
  return side === 'buy' ? 1 : -1;
}

function positionSign(position: { readonly side: 'long' | 'short' }): 1 | -1 {
  return position.side === 'long' ? 1 : -1;
}

function unrealizedPnl(position: MutablePosition, markPrice: number): number {
  return positionSign(position) * position.size * (markPrice - position.entryPrice);
}

function clampToRange(value: number, range: { readonly low: number; readonly high: number } | null): number {
  return range === null ? value : Math.min(range.high, Math.max(range.low, value));
}

/**
 * Where an open order fires on the path. Stops sell on the way down and buy on the way
 * up; take-profits the opposite; a resting limit buys at or below its price and sells at
 * or above. Market orders and limits not yet resting are handled at the first price.
 */
function orderTrigger(record: PaperOrderRecord): Trigger | null {
  const { type, side, stopPrice, price } = record.state;
  switch (type) {
    case 'stop_market':
      return { record, direction: side === 'sell' ? 'fall' : 'rise', level: stopPrice! };
    case 'take_profit_market':
      return { record, direction: side === 'sell' ? 'rise' : 'fall', level: stopPrice! };
    case 'limit':
      return record.resting ? { record, direction: side === 'buy' ? 'fall' : 'rise', level: price! } : null;
    case 'market':
      return null;
  }
}

function triggerRank(trigger: Trigger): number {
  return trigger.record === null ? Number.MAX_SAFE_INTEGER : trigger.record.seq;
}

/** Binance -2021: a stop already through the last price, or a take-profit already reached. */
function wouldTriggerImmediately(type: OrderRequest['type'], side: OrderSide, stopPrice: number, lastPrice: number): boolean {
  if (type === 'stop_market') return side === 'sell' ? stopPrice >= lastPrice : stopPrice <= lastPrice;
  if (type === 'take_profit_market') return side === 'sell' ? stopPrice <= lastPrice : stopPrice >= lastPrice;
  return false;
}

/** The funding event closest to `timestampMs` (events sorted by time), by binary search. */
function nearestFunding(events: readonly FundingEvent[], timestampMs: number): FundingEvent | null {
  let lo = 0;
  let hi = events.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.timestamp < timestampMs) lo = mid + 1;
    else hi = mid;
  }
  const after = events[lo];
  const before = events[lo - 1];
  if (after === undefined) return null;
  if (before !== undefined && Math.abs(before.timestamp - timestampMs) < Math.abs(after.timestamp - timestampMs)) return before;
  return after;
}

function emptyTotals(): MutableTotals {
  return { feesUsdt: 0, fundingUsdt: 0, realizedPnlUsdt: 0, liquidations: 0, liquidationLossUsdt: 0, fills: 0 };
}
