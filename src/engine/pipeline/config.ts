/**
 * The pipeline's configuration, input and result types and the blueprint's constants
 * (BLUEPRINT.md "From signal to order"). Pure data.
 */
import type { LeverageClamp, Side, StrategyMode, SymbolRules } from '../types.js';

export type Grade = 'S' | 'A' | 'B' | 'C';

export interface PipelineConfig {
  /** Optional operator cap `MAX_LEVERAGE` (≥ 1); null = unset. */
  readonly maxLeverage: number | null;
  /** `RULES_MAX_LEVERAGE`: the ceiling while the rules generator trades. */
  readonly rulesMaxLeverage: number;
  /** `MAX_OPEN_POSITIONS`: splits the 80 % margin budget and limits open positions. */
  readonly maxOpenPositions: number;
  /** `LIQUIDATION_BUFFER_PCT` as a fraction of the entry price (0.005 = 0.5 %). */
  readonly liquidationBufferRate: number;
  readonly minWinProbability: number;
  readonly minConfidence: number;
  /** Minimum fee-adjusted reward:risk. */
  readonly minRrRatio: number;
  /** Taker fee as a fraction of notional (0.0005 = 0.05 %). */
  readonly takerFeeRate: number;
  /** Margin-budget multiplier while the model's grade is S. */
  readonly gradeSSizeMultiplier: number;
  /** The cold-start ceiling applies while fewer trades than this have closed. */
  readonly coldStartTrades: number;
  readonly coldStartMaxLeverage: number;
  /** The blueprint's own minimum order notional (10 USDT). */
  readonly minOrderNotionalUsdt: number;
  /**
   * Sizing targets the minimum notional this much above it, because the market order fills
   * at the next price, not at the reference price: a fill up to this fraction lower still
   * meets `max(10, minNotional)` (the trade record's invariant).
   */
  readonly minNotionalHeadroomRate: number;
  /** `MIN_EXPECTED_R`: the expected-value gate's threshold, in R (applies only to a promoted model's prediction). */
  readonly minExpectedR: number;
  /** Slippage of the stop as a fraction of price, counted in the expected-value gate's costs (paper default 0.05 %). */
  readonly slippageRate: number;
}

export const defaultPipelineConfig: PipelineConfig = Object.freeze({
  maxLeverage: null,
  rulesMaxLeverage: 3,
  maxOpenPositions: 5,
  liquidationBufferRate: 0.005,
  minWinProbability: 0.55,
  minConfidence: 0.5,
  minRrRatio: 1.0,
  takerFeeRate: 0.0005,
  gradeSSizeMultiplier: 1.2,
  coldStartTrades: 100,
  coldStartMaxLeverage: 10,
  minOrderNotionalUsdt: 10,
  minNotionalHeadroomRate: 0.01,
  minExpectedR: 0,
  slippageRate: 0.0005,
});

export interface PlanMode {
  readonly paused: boolean;
  /** The effective mode (rules while the model is not trusted). */
  readonly strategyMode: StrategyMode;
  readonly grade: Grade | null;
  /** Closed trades of the account, counted once, never reset (cold start). */
  readonly closedTradeCount: number;
}

export interface PlanInput {
  readonly symbol: string;
  readonly side: Side;
  /** Last close: the entry estimate until the fill is known. */
  readonly referencePrice: number;
  /** Base stop distance as a fraction of price (0.004 = 0.4 %). */
  readonly baseSlPct: number;
  readonly winProbability: number;
  readonly confidence: number;
  /** An exploration trade: 1x, minimum size, model thresholds not applied. */
  readonly exploration: boolean;
  /** Wallet balance + unrealised P&L. */
  readonly equityUsdt: number;
  readonly availableBalanceUsdt: number;
  readonly openPositions: number;
  readonly rules: SymbolRules;
  readonly mode: PlanMode;
  readonly config: PipelineConfig;
  /**
   * Present when a promoted model made the prediction (self-learning mode): the
   * expected-value gate applies, and a confidence that did not rank outcomes on the model's
   * validation window may not raise leverage (a `confidence` clamp).
   */
  readonly model?: ModelGate;
}

export interface ModelGate {
  readonly confidenceRanks: boolean;
}

export interface EntryPlan {
  readonly symbol: string;
  readonly side: Side;
  readonly leverageRaw: number;
  /** Applied leverage: whole number ≥ 1, also the exchange setting. */
  readonly leverage: number;
  readonly leverageClamps: readonly LeverageClamp[];
  readonly marginBudgetUsdt: number;
  /** size × referencePrice. */
  readonly notionalUsdt: number;
  readonly size: number;
  /** Stop distance as a fraction after leverage widening and the 0.3 % floor (before tick rounding). */
  readonly slPct: number;
  /** Price units, whole ticks. */
  readonly slDistance: number;
  readonly tpDistance: number;
  readonly slPrice: number;
  readonly tpPrice: number;
  /** Isolated liquidation price of this position at the reference price; 0 = a long that cannot be liquidated. */
  readonly liquidationPrice: number;
  /** (tpDistance − fees) / (slDistance + fees), fees = round-trip taker fee in price units. */
  readonly feeAdjustedRr: number;
  /** max(10 USDT, exchange minNotional). */
  readonly minNotionalUsdt: number;
  readonly tickSize: number;
  readonly stepSize: number;
  readonly referencePrice: number;
  readonly exploration: boolean;
  /** The size was raised to a minimum (notional or minQty) and rounded up. */
  readonly sizeForcedByMinimum: boolean;
  /** Expected R after costs of a promoted model's prediction (the expected-value gate); null otherwise. */
  readonly expectedR: number | null;
}

export type RefusalCode =
  | 'paused'
  | 'min_win_probability'
  | 'min_confidence'
  | 'min_rr_ratio'
  | 'position_limit'
  | 'balance'
  | 'liquidation_guard'
  | 'expected_value'
  | 'invalid_input';

export interface Refusal {
  readonly code: RefusalCode;
  readonly reason: string;
}

/**
 * A refused plan still carries the plan that was evaluated (null when the input
 * was invalid), so the refusal can be logged with its numbers.
 */
export type PlanResult =
  | { readonly ok: true; readonly plan: EntryPlan }
  | { readonly ok: false; readonly refusals: readonly Refusal[]; readonly plan: EntryPlan | null };

/** The blueprint's SL floor: a stop at least 0.3 % from the entry. */
export const MIN_SL_RATE = 0.003;
/** Blueprint: `tpPct = slPct × 1.5`. */
export const TP_TO_SL_RATIO = 1.5;
/** Blueprint: `margin = equity × 0.8`. */
export const EQUITY_MARGIN_SHARE = 0.8;
