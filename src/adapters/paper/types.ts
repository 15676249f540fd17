/**
 * Data shapes of the paper exchange: its options, the events it reports and the
 * plain-JSON state it saves with the engine snapshot (ARCHITECTURE "Persistence").
 */
import type { Clock, Logger } from '../../engine/ports.js';
import type { ExchangePosition, FundingEvent, ForcedClose, FundingPayment, OrderState, Side, SymbolRules } from '../../engine/types.js';

export interface PaperExchangeOptions {
  readonly rules: ReadonlyMap<string, SymbolRules>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Wallet at start, USDT. Default 1000. */
  readonly startingBalanceUsdt?: number;
  /** Fractions of the notional (0.0005 = 0.05 %). */
  readonly takerFeeRate?: number;
  readonly makerFeeRate?: number;
  /** Fraction of the price a market or stop fill loses to spread and impact. Default 0.0005. */
  readonly slippageRate?: number;
  /** Funding rate used at an 8-hourly event when the symbol has no data for it. Default 0.0001. */
  readonly fundingRateFallback?: number;
  /** Funding events per symbol (sorted by time); symbols without an entry use the fallback rate. */
  readonly funding?: ReadonlyMap<string, readonly FundingEvent[]>;
  /** Length of the candles fed to `onCandle`. Default 5 minutes. */
  readonly candleIntervalMs?: number;
  /** Length of the mark candles in `ClosedCandle.mark`. Default 1 hour. */
  readonly markIntervalMs?: number;
  /** Leverage of a symbol before `setLeverage` (Binance's default is 20x, capped by the first bracket). */
  readonly defaultLeverage?: number;
  /** Minimum notional when the symbol's filters do not know one (BLUEPRINT: 10 USDT). */
  readonly defaultMinNotionalUsdt?: number;
  /** Filled/cancelled orders kept for `fetchOrder` and duplicate-id checks; the oldest go first. Default 2000 (bounds the saved state). */
  readonly orderHistoryLimit?: number;
  /**
   * Called synchronously as each event happens inside `onCandle`/`onTicker`. A listener may
   * call `placeOrderNow` (e.g. the SL/TP of an entry that just filled); such orders take
   * part in the rest of the same candle's path, as a live engine's stop is on the book a
   * moment after its entry fills.
   */
  readonly onEvent?: (event: PaperEvent) => void;
}

export type PaperEvent =
  | {
      readonly kind: 'fill';
      readonly order: OrderState;
      /** Price P&L of the part of the fill that closed a position (fees excluded). */
      readonly realizedPnlUsdt: number;
      readonly feeUsdt: number;
      readonly positionAfter: ExchangePosition | null;
    }
  | {
      readonly kind: 'liquidation';
      readonly symbol: string;
      readonly side: Side;
      readonly size: number;
      /** The isolated liquidation price (mark) the position was closed at. */
      readonly price: number;
      /** The mark price when the liquidation was detected (beyond `price` on a gap). */
      readonly markPrice: number;
      /** The whole isolated margin: price loss to the liquidation price plus the clearance fee. */
      readonly lossUsdt: number;
      readonly at: number;
    }
  | { readonly kind: 'funding'; readonly symbol: string; readonly amountUsdt: number; readonly rate: number; readonly at: number }
  | { readonly kind: 'canceled'; readonly order: OrderState };

/** One open position as the paper venue keeps it (one-way mode, isolated margin). */
export interface PaperPositionState {
  readonly symbol: string;
  readonly side: Side;
  readonly size: number;
  readonly entryPrice: number;
  /** Isolated wallet of the position: initial margin, plus funding received, minus funding paid. */
  readonly isolatedMarginUsdt: number;
  readonly openedAt: number;
  readonly updatedAt: number;
}

/** An order with what the simulation needs beyond what the exchange reports. */
export interface PaperOrderRecord {
  readonly seq: number;
  readonly state: OrderState;
  /** Initial margin + estimated fee held back from the available balance while open (non-reduce-only). */
  readonly reservedMarginUsdt: number;
  /**
   * false until the order has seen a first price after placement. A limit order that
   * crosses that first price takes liquidity (taker, at that price); afterwards it rests
   * on the book and fills at its own price (maker).
   */
  readonly resting: boolean;
}

/** Per-symbol market state: last prices, the hour's mark basis, and how far funding was settled. */
export interface PaperMarketState {
  readonly lastPrice: number;
  readonly lastMarkPrice: number;
  readonly lastAt: number;
  /** Open time of the mark hour `basisUsdt` belongs to; null before the first mark candle. */
  readonly basisHourMs: number | null;
  /** mark − trade price for the hour (BLUEPRINT "Paper fills inside a candle"). */
  readonly basisUsdt: number;
  /** Funding events up to and including this time have been settled. */
  readonly fundingSettledMs: number;
}

export interface PaperTotals {
  readonly feesUsdt: number;
  readonly fundingUsdt: number;
  readonly realizedPnlUsdt: number;
  readonly liquidations: number;
  readonly liquidationLossUsdt: number;
  readonly fills: number;
}

/** Everything the paper venue needs to resume; plain JSON (no -0, NaN or Infinity). */
export interface PaperState {
  readonly version: 1;
  readonly walletBalanceUsdt: number;
  readonly nextOrderSeq: number;
  readonly leverage: Readonly<Record<string, number>>;
  readonly positions: readonly PaperPositionState[];
  /** Open orders and retained history, in placement order. */
  readonly orders: readonly PaperOrderRecord[];
  readonly fundingPayments: readonly FundingPayment[];
  /** Liquidations, for `fetchForcedCloses` (absent in states saved before it existed). */
  readonly forcedCloses?: readonly ForcedClose[];
  readonly markets: Readonly<Record<string, PaperMarketState>>;
  /** Events not yet drained. */
  readonly events: readonly PaperEvent[];
  readonly totals: PaperTotals;
}

/** What `fromJSON` needs besides the state: everything in the options except the balance. */
export type PaperExchangeDeps = Omit<PaperExchangeOptions, 'startingBalanceUsdt'>;
