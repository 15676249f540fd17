/**
 * The paper venue's settings and mutable state (wallet, positions, leverage, the order
 * book, market state, events, totals), shared by the modules that simulate it: order entry
 * (orders.ts), fills (fills.ts), liquidation (liquidation.ts), the intrabar walk (walk.ts),
 * funding (funding.ts), the price feed (feed.ts) and the snapshot (snapshot.ts).
 * `PaperExchange` (paper-exchange.ts) is the `Exchange` port on top of it.
 */
import { isolatedLiquidationPrice, maxLeverageFor } from '../../engine/exchange-rules.js';
import type { Clock, Logger } from '../../engine/ports.js';
import type { ExchangePosition, FundingEvent, ForcedClose, FundingPayment, OrderSide, SymbolRules } from '../../engine/types.js';
import { CANDLE_MS } from '../../engine/types.js';
import { InvalidOrderError } from '../../errors.js';
import { OrderBook } from './book.js';
import type { PaperEvent, PaperExchangeOptions, PaperMarketState, PaperOrderRecord } from './types.js';

/** Events kept for `drainEvents` when nobody drains them; the oldest go first. */
const MAX_UNDRAINED_EVENTS = 200;

export type Direction = 'fall' | 'rise';

export interface MutablePosition {
  symbol: string;
  side: 'long' | 'short';
  size: number;
  entryPrice: number;
  isolatedMarginUsdt: number;
  openedAt: number;
  updatedAt: number;
}

export interface MutableTotals {
  feesUsdt: number;
  fundingUsdt: number;
  realizedPnlUsdt: number;
  liquidations: number;
  liquidationLossUsdt: number;
  fills: number;
}

export type MutableMarketState = { -readonly [K in keyof PaperMarketState]: PaperMarketState[K] };

/** The hour's mark range; the intrabar mark is kept inside it. */
export interface MarkRange {
  readonly low: number;
  readonly high: number;
}

/** The walk currently in progress (one symbol's candle or ticker). */
export interface WalkContext {
  readonly symbol: string;
  price: number;
  readonly basisUsdt: number;
  /** null when unknown. */
  readonly markRange: MarkRange | null;
  /** The candle's extremes: a triggered fill never goes beyond them. */
  readonly low: number;
  readonly high: number;
}

/** Where something fires on the walk's path. */
export interface Trigger {
  /** null for the liquidation trigger. */
  readonly record: PaperOrderRecord | null;
  readonly direction: Direction;
  /** Trade price at which it fires (±Infinity: fires at once). */
  readonly level: number;
}

export function emptyTotals(): MutableTotals {
  return { feesUsdt: 0, fundingUsdt: 0, realizedPnlUsdt: 0, liquidations: 0, liquidationLossUsdt: 0, fills: 0 };
}

export function sideSign(side: OrderSide): 1 | -1 {
  return side === 'buy' ? 1 : -1;
}

export function positionSign(position: { readonly side: 'long' | 'short' }): 1 | -1 {
  return position.side === 'long' ? 1 : -1;
}

export function unrealizedPnl(position: MutablePosition, markPrice: number): number {
  return positionSign(position) * position.size * (markPrice - position.entryPrice);
}

export function clampToRange(value: number, range: MarkRange | null): number {
  return range === null ? value : Math.min(range.high, Math.max(range.low, value));
}

export class PaperVenue {
  readonly rules: ReadonlyMap<string, SymbolRules>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly takerFeeRate: number;
  readonly makerFeeRate: number;
  readonly slippageRate: number;
  readonly fundingRateFallback: number;
  readonly funding: ReadonlyMap<string, readonly FundingEvent[]>;
  readonly candleIntervalMs: number;
  readonly markIntervalMs: number;
  readonly defaultLeverage: number;
  readonly defaultMinNotionalUsdt: number;
  readonly onEvent: ((event: PaperEvent) => void) | null;

  walletBalanceUsdt: number;
  nextOrderSeq = 1;
  readonly leverage = new Map<string, number>();
  readonly positions = new Map<string, MutablePosition>();
  readonly book: OrderBook;
  fundingPayments: FundingPayment[] = [];
  forcedCloses: ForcedClose[] = [];
  readonly markets = new Map<string, PaperMarketState>();
  events: PaperEvent[] = [];
  totals: MutableTotals = emptyTotals();

  walk: WalkContext | null = null;
  /** Simulated time while a candle is processed (intrabar event times); null otherwise. */
  simNowMs: number | null = null;
  readonly fallbackLogged = new Set<string>();

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
    this.book = new OrderBook(options.orderHistoryLimit ?? 2000);
    this.onEvent = options.onEvent ?? null;
    this.walletBalanceUsdt = options.startingBalanceUsdt ?? 1000;
  }

  rulesOf(symbol: string): SymbolRules {
    const rules = this.rules.get(symbol);
    if (rules === undefined) throw new InvalidOrderError(`Invalid symbol: the paper exchange has no rules for ${symbol}`, '-1121');
    return rules;
  }

  /** The leverage new orders of `symbol` use. */
  leverageOf(symbol: string): number {
    const set = this.leverage.get(symbol);
    if (set !== undefined) return set;
    const rules = this.rules.get(symbol);
    return rules === undefined ? this.defaultLeverage : Math.min(this.defaultLeverage, maxLeverageFor(rules.brackets, 0));
  }

  /** No position and no open order: nothing on this symbol can fill, liquidate or pay funding. */
  isIdle(symbol: string): boolean {
    return !this.positions.has(symbol) && !this.book.hasOpen(symbol);
  }

  emit(event: PaperEvent): void {
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

  /** available = wallet − isolated margins − margin held for open orders. */
  availableBalanceUsdt(): number {
    let held = 0;
    for (const position of this.positions.values()) held += position.isolatedMarginUsdt;
    for (const record of this.book.openRecords()) held += record.reservedMarginUsdt;
    return this.walletBalanceUsdt - held;
  }

  liquidationPriceOf(position: MutablePosition): number {
    return isolatedLiquidationPrice({
      side: position.side,
      size: position.size,
      entryPrice: position.entryPrice,
      isolatedMarginUsdt: position.isolatedMarginUsdt,
      brackets: this.rulesOf(position.symbol).brackets,
    });
  }

  exchangePosition(position: MutablePosition, markPrice: number): ExchangePosition {
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
  currentPriceOf(symbol: string): number | null {
    if (this.walk !== null && this.walk.symbol === symbol) return this.walk.price;
    return this.markets.get(symbol)?.lastPrice ?? null;
  }

  markAt(symbol: string, price: number): number {
    if (this.walk !== null && this.walk.symbol === symbol) return clampToRange(price + this.walk.basisUsdt, this.walk.markRange);
    return this.markets.get(symbol)?.lastMarkPrice ?? price;
  }

  lastMarkOf(position: MutablePosition): number {
    return this.markets.get(position.symbol)?.lastMarkPrice ?? position.entryPrice;
  }

  nowMs(): number {
    return this.simNowMs ?? this.clock.now();
  }
}
