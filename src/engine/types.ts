/**
 * Shared value types of the engine. Pure data: no behaviour, no library imports.
 * Prices and sizes are plain numbers in the exchange's units (USDT, base asset).
 * Times are milliseconds since the Unix epoch, UTC.
 */

export type Side = 'long' | 'short';
export type OrderSide = 'buy' | 'sell';

export type TradingMode = 'paper' | 'live';
export type MarketDataSource = 'live' | 'replay' | 'auto';
export type StrategyMode = 'self_learning' | 'rules';

/** A 5m trade-price candle; `timestamp` is the candle's open time. */
export interface Candle {
  readonly timestamp: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** Length of one candle in ms: the engine trades 5m candles only. */
export const CANDLE_MS = 5 * 60_000;

/** A mark-price candle (hourly in the bundled data); `timestamp` is the open time. */
export interface MarkCandle {
  readonly timestamp: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** One 8-hourly funding event; `rate` is a fraction (0.0001 = 0.01 %). */
export interface FundingEvent {
  readonly timestamp: number;
  readonly rate: number;
}

/** Exchange symbol filters (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, MIN_NOTIONAL). */
export interface SymbolFilters {
  readonly tickSize: number;
  readonly stepSize: number;
  readonly minQty: number;
  /** Largest limit-order quantity; null when unknown. */
  readonly maxQty: number | null;
  /** MARKET_LOT_SIZE step/min/max; fall back to LOT_SIZE when the exchange gives none. */
  readonly marketStepSize: number;
  readonly marketMinQty: number;
  readonly marketMaxQty: number | null;
  /** Exchange minimum notional in USDT; null when unknown (the blueprint's 10 USDT still applies). */
  readonly minNotional: number | null;
}

/** One row of Binance's leverage-bracket endpoint. */
export interface LeverageBracket {
  readonly bracket: number;
  readonly initialLeverage: number;
  readonly notionalCap: number;
  readonly notionalFloor: number;
  readonly maintMarginRatio: number;
  readonly cum: number;
}

export interface SymbolRules {
  readonly symbol: string;
  readonly filters: SymbolFilters;
  /** Sorted by notionalFloor ascending. */
  readonly brackets: readonly LeverageBracket[];
}

export type OrderType = 'market' | 'limit' | 'stop_market' | 'take_profit_market';
export type OrderStatus = 'new' | 'partially_filled' | 'filled' | 'canceled' | 'rejected' | 'expired';

/** Still working on the exchange (it may fill further or be cancelled); every other status is final. */
export function isOpenStatus(status: OrderStatus): boolean {
  return status === 'new' || status === 'partially_filled';
}

export interface OrderRequest {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly quantity: number;
  /** Limit price (limit orders). */
  readonly price?: number;
  /** Trigger price (stop_market / take_profit_market). */
  readonly stopPrice?: number;
  readonly reduceOnly: boolean;
  /** Deterministic, matches Binance's `^[.A-Z:/a-z0-9_-]{1,36}$`. */
  readonly clientOrderId: string;
}

export interface OrderState {
  readonly clientOrderId: string;
  readonly exchangeOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly status: OrderStatus;
  readonly quantity: number;
  readonly filledQuantity: number;
  /** Average fill price, null until something filled. */
  readonly averagePrice: number | null;
  readonly price: number | null;
  readonly stopPrice: number | null;
  readonly reduceOnly: boolean;
  readonly feeUsdt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A position as the exchange reports it (one-way mode, isolated margin). */
export interface ExchangePosition {
  readonly symbol: string;
  readonly side: Side;
  /** Absolute size in base asset. */
  readonly size: number;
  readonly entryPrice: number;
  readonly markPrice: number;
  readonly leverage: number | null;
  readonly isolatedMarginUsdt: number;
  readonly liquidationPrice: number | null;
  readonly unrealizedPnlUsdt: number;
  readonly updatedAt: number;
}

export interface Balance {
  readonly walletBalanceUsdt: number;
  readonly availableBalanceUsdt: number;
  readonly unrealizedPnlUsdt: number;
  /** wallet + unrealised P&L (BLUEPRINT pipeline step 4). */
  readonly equityUsdt: number;
}

export interface FundingPayment {
  readonly symbol: string;
  readonly timestamp: number;
  /** Signed: positive when received. */
  readonly amountUsdt: number;
}

/** One fill of the account (any origin: ours, the Binance app, another bot). */
export interface AccountFill {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly price: number;
  readonly quantity: number;
  /** Commission paid in USDT (other assets left out). */
  readonly feeUsdt: number;
  readonly at: number;
}

/** A position the exchange closed by itself (liquidation, auto-deleverage). */
export interface ForcedClose {
  readonly symbol: string;
  /** Side of the position that was closed. */
  readonly side: Side;
  readonly size: number;
  /** Average fill price of the exchange's closing order. */
  readonly price: number;
  readonly at: number;
}

export interface Ticker {
  readonly symbol: string;
  readonly last: number;
  readonly mark: number | null;
  readonly timestamp: number;
}

export type ExitReason =
  'tp' | 'sl' | 'signal' | 'model' | 'time' | 'liquidation_risk' | 'manual' | 'emergency' | 'shutdown' | 'external' | 'liquidation';

/** What lowered the leverage on the way from `leverageRaw` to the applied value, and why. */
export interface LeverageClamp {
  readonly step:
    'confidence' | 'cold_start' | 'rules_mode' | 'max_leverage' | 'bracket' | 'whole_number' | 'liquidation_guard' | 'exploration';
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

/** One closed trade: what the daily report, the backtest and the history store use. */
export interface TradeRecord {
  readonly id: string;
  readonly symbol: string;
  readonly side: Side;
  readonly openedAt: number;
  readonly closedAt: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly size: number;
  readonly notionalUsdt: number;
  readonly marginUsdt: number;
  readonly winProbability: number;
  readonly confidence: number;
  readonly leverageRaw: number;
  readonly leverage: number;
  readonly leverageClamps: readonly LeverageClamp[];
  readonly baseSlPct: number;
  readonly slPrice: number;
  readonly tpPrice: number;
  readonly liquidationPrice: number;
  readonly tickSize: number;
  readonly stepSize: number;
  readonly minNotionalUsdt: number;
  readonly riskAmountUsdt: number;
  readonly plannedRiskUsdt: number;
  readonly feesUsdt: number;
  /**
   * What the fills cost against their reference prices, positive when adverse: the entry
   * against its decision price, a stop against its trigger, a market close against the last
   * price when it was sent; a take-profit limit and a liquidation have none. Already inside
   * the prices, hence inside `pnlUsdt` (shown apart, not subtracted again).
   */
  readonly slippageUsdt: number;
  readonly fundingUsdt: number;
  readonly pnlUsdt: number;
  readonly exitReason: ExitReason;
  readonly is100PctLoss: boolean;
  readonly liquidated: boolean;
  readonly exploration: boolean;
  readonly strategyMode: string;
  readonly modelVersion: string | null;
  /** Expected R after costs when a promoted model decided the entry (the expected-value gate), next to p and confidence. */
  readonly expectedR?: number | null;
  /** The signal rule that proposed the trade ('adopted' for a position found on the exchange). */
  readonly rule: string;
  /**
   * Present (true) when the exit price or its fee could not be read and is estimated: a
   * position closed outside the bot whose closing fills were not found (last price, fee 0), or
   * a stop whose fill price was not reported (its trigger). Absent otherwise.
   */
  readonly exitEstimated?: true;
}
