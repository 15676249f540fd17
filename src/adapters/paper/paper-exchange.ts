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
import { maxLeverageFor } from '../../engine/exchange-rules.js';
import type { ClosedCandle, Exchange, Priority } from '../../engine/ports.js';
import type { Balance, ExchangePosition, ForcedClose, FundingPayment, OrderRequest, OrderState, SymbolRules } from '../../engine/types.js';
import { InvalidOrderError } from '../../errors.js';
import { finishCandle, onTicker, openCandle } from './feed.js';
import { cancelOrderNow, placeOrderNow } from './orders.js';
import { restoreVenue, venueState } from './snapshot.js';
import type { PaperEvent, PaperExchangeDeps, PaperExchangeOptions, PaperState, PaperTotals } from './types.js';
import { PaperVenue, unrealizedPnl } from './venue.js';

/**
 * The `Exchange` port on the simulated venue. The simulation lives in the modules next to
 * it: order entry (orders.ts), the order book (book.ts), fills (fills.ts), liquidation
 * (liquidation.ts), the intrabar walk (walk.ts), funding (funding.ts), the price feed
 * (feed.ts), the saved state (snapshot.ts), all on the shared state in venue.ts.
 */
export class PaperExchange implements Exchange {
  readonly kind = 'paper' as const;

  private readonly venue: PaperVenue;

  constructor(options: PaperExchangeOptions) {
    this.venue = new PaperVenue(options);
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
    for (const symbol of symbols) result.set(symbol, this.venue.rulesOf(symbol));
    return result;
  }

  /** Isolated margin is the only mode the paper venue has. */
  async setIsolatedMargin(symbol: string): Promise<void> {
    this.venue.rulesOf(symbol);
  }

  /** Whole numbers from 1 to the bracket's maximum for the current position (Binance -4028 / -2027). */
  async setLeverage(symbol: string, leverage: number): Promise<void> {
    const rules = this.venue.rulesOf(symbol);
    const maxForNoPosition = maxLeverageFor(rules.brackets, 0);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > maxForNoPosition) {
      throw new InvalidOrderError(`Leverage ${leverage} is not valid for ${symbol} (whole number 1..${maxForNoPosition})`, '-4028');
    }
    const position = this.venue.positions.get(symbol);
    if (position !== undefined && leverage > maxLeverageFor(rules.brackets, position.size * position.entryPrice)) {
      throw new InvalidOrderError(
        `Exceeded the maximum allowable position at current leverage: ${symbol} position notional ` +
          `${(position.size * position.entryPrice).toFixed(2)} USDT allows at most ` +
          `${maxLeverageFor(rules.brackets, position.size * position.entryPrice)}x`,
        '-2027',
      );
    }
    this.venue.leverage.set(symbol, leverage);
  }

  async placeOrder(request: OrderRequest, _priority: Priority): Promise<OrderState> {
    return this.placeOrderNow(request);
  }

  async cancelOrder(symbol: string, clientOrderId: string, _priority: Priority): Promise<void> {
    this.cancelOrderNow(symbol, clientOrderId);
  }

  async fetchOrder(symbol: string, clientOrderId: string): Promise<OrderState | null> {
    return this.venue.book.find(symbol, clientOrderId)?.state ?? null;
  }

  async fetchOpenOrders(symbol?: string): Promise<OrderState[]> {
    return this.openOrdersNow(symbol);
  }

  async fetchPositions(_priority: Priority): Promise<ExchangePosition[]> {
    return this.positionsNow();
  }

  /** `fetchPositions` without the promise (the controller's idle-tick check). */
  positionsNow(): ExchangePosition[] {
    return [...this.venue.positions.values()].map((p) => this.venue.exchangePosition(p, this.venue.lastMarkOf(p)));
  }

  /** `fetchOpenOrders` without the promise. */
  openOrdersNow(symbol?: string): OrderState[] {
    const result: OrderState[] = [];
    for (const record of this.venue.book.openRecords()) {
      if (symbol === undefined || record.state.symbol === symbol) result.push(record.state);
    }
    return result;
  }

  async fetchBalance(): Promise<Balance> {
    return this.balanceNow();
  }

  /** available = wallet − isolated margins − margin held for open orders; equity = wallet + unrealised. */
  balanceNow(): Balance {
    let unrealizedPnlUsdt = 0;
    for (const position of this.venue.positions.values()) {
      unrealizedPnlUsdt += unrealizedPnl(position, this.venue.lastMarkOf(position));
    }
    return {
      walletBalanceUsdt: this.venue.walletBalanceUsdt,
      availableBalanceUsdt: this.venue.availableBalanceUsdt(),
      unrealizedPnlUsdt,
      equityUsdt: this.venue.walletBalanceUsdt + unrealizedPnlUsdt,
    };
  }

  /** Payments at or after `sinceMs`, oldest first (Binance income history, FUNDING_FEE). */
  async fetchFundingPayments(symbol: string, sinceMs: number): Promise<FundingPayment[]> {
    return this.venue.fundingPayments.filter((p) => p.symbol === symbol && p.timestamp >= sinceMs);
  }

  async fetchForcedCloses(symbol: string, sinceMs: number): Promise<ForcedClose[]> {
    return this.venue.forcedCloses.filter((c) => c.symbol === symbol && c.at >= sinceMs);
  }

  // ─── Synchronous order entry (also for `onEvent` listeners) ──────────────────

  /**
   * Places an order at once. Rejections, in Binance's order of checks: unknown symbol
   * -1121, duplicate client id -4116, filters (validateOrder), reduce-only that would not
   * reduce -2022, a stop that would trigger immediately -2021, position above the
   * bracket's cap for the leverage -2027, not enough margin -2019 (InsufficientFundsError).
   */
  placeOrderNow(request: OrderRequest): OrderState {
    return placeOrderNow(this.venue, request);
  }

  /** Cancels an open order; unknown or already closed → -2011 like Binance. */
  cancelOrderNow(symbol: string, clientOrderId: string): void {
    cancelOrderNow(this.venue, symbol, clientOrderId);
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
    openCandle(this.venue, closed);
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
    return finishCandle(this.venue, closed);
  }

  /**
   * Live market data on the paper venue: pending market orders fill at `price` ± slippage;
   * stops, take-profits, limits and liquidation are checked at this single price (a stop
   * the price is already through fills at `price`); funding events up to `timestampMs`
   * are settled at `markPrice` (trade price + last basis when null).
   */
  onTicker(symbol: string, price: number, markPrice: number | null, timestampMs: number): void {
    onTicker(this.venue, symbol, price, markPrice, timestampMs);
  }

  /** Returns the events since the last call (fills, liquidations, funding, cancels), oldest first. */
  drainEvents(): PaperEvent[] {
    const drained = this.venue.events;
    this.venue.events = [];
    return drained;
  }

  // ─── Read-outs for backtests and reports ───────────────────────────────────────

  totalsSoFar(): PaperTotals {
    return { ...this.venue.totals };
  }

  lastPriceOf(symbol: string): number | null {
    return this.venue.markets.get(symbol)?.lastPrice ?? null;
  }

  /** The leverage new orders of `symbol` use. */
  leverageOf(symbol: string): number {
    return this.venue.leverageOf(symbol);
  }

  // ─── Serialisation ───────────────────────────────────────────────────────────

  /** Plain JSON-safe state; `fromJSON(JSON.parse(JSON.stringify(toJSON())))` behaves identically. */
  toJSON(): PaperState {
    return venueState(this.venue);
  }

  /** Replaces the whole state with `state` (from `toJSON`, possibly after a JSON round trip). */
  restore(state: PaperState): void {
    restoreVenue(this.venue, state);
  }
}
