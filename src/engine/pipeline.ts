/**
 * From signal to order: the blueprint's ordered pipeline (BLUEPRINT.md "From signal
 * to order", steps 1–9) as pure functions. Every change to the leverage is recorded
 * in `leverageClamps` so a trade can be explained afterwards.
 *
 * Deliberate refinement: the blueprint redoes steps 4–6 when the liquidation guard
 * fails; here each candidate leverage is carried through step 7 (the rounded size)
 * before the guard is checked, so the guard holds for the exact position that is
 * sent, not for an approximation of it. The result is the same leverage the
 * blueprint's order gives, up to one step of rounding.
 */
import {
  bracketFor,
  isolatedLiquidationPrice,
  roundPrice,
  roundQty,
} from './exchange-rules.js';
import type { LeverageBracket, LeverageClamp, Side, StrategyMode, SymbolRules } from './types.js';

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
}

export type RefusalCode =
  | 'paused'
  | 'min_win_probability'
  | 'min_confidence'
  | 'min_rr_ratio'
  | 'position_limit'
  | 'balance'
  | 'liquidation_guard'
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

/**
 * Step 1, the blueprint's leverage formula (unrounded):
 * `winFactor = max(0, (winProb − 0.55) / 0.15)`, `winLeverage = 1 + winFactor × 11`,
 * `confFactor = max(1, confidence / 0.5)`, `leverage = max(0.5, winLeverage × confFactor)`.
 */
export function leverageRaw(winProbability: number, confidence: number): number {
  const winFactor = Math.max(0, (winProbability - 0.55) / 0.15);
  const winLeverage = 1 + winFactor * 11;
  const confFactor = Math.max(1, confidence / 0.5);
  return Math.max(0.5, 1 * winLeverage * confFactor);
}

/**
 * Step 4: `equity × 0.8 / MAX_OPEN_POSITIONS`, times the grade-S multiplier, never
 * more than the available balance (and never negative).
 */
export function marginBudgetUsdt(
  equityUsdt: number,
  availableBalanceUsdt: number,
  grade: Grade | null,
  config: PipelineConfig,
): number {
  const multiplier = grade === 'S' ? config.gradeSSizeMultiplier : 1;
  const budget = ((equityUsdt * EQUITY_MARGIN_SHARE) / config.maxOpenPositions) * multiplier;
  return Math.max(0, Math.min(budget, availableBalanceUsdt));
}

export interface CeilingResult {
  /** Leverage after all ceilings (may still be fractional). */
  readonly leverage: number;
  readonly clamps: readonly LeverageClamp[];
}

/**
 * Step 2: the ceilings, lowest wins, applied in the blueprint's order (cold start,
 * rules mode, MAX_LEVERAGE, bracket). Only ceilings that actually lowered the value
 * are recorded. The bracket ceiling depends on the notional, which depends on the
 * (whole) leverage, so it is iterated until the leverage fits the bracket of its own
 * notional; each round lowers it, so the loop is short and bounded.
 */
export function applyLeverageCeilings(
  raw: number,
  budgetUsdt: number,
  brackets: readonly LeverageBracket[],
  mode: PlanMode,
  config: PipelineConfig,
): CeilingResult {
  const clamps: LeverageClamp[] = [];
  let leverage = raw;
  const lower = (step: LeverageClamp['step'], ceiling: number, reason: string): void => {
    if (ceiling < leverage) {
      clamps.push({ step, from: leverage, to: ceiling, reason });
      leverage = ceiling;
    }
  };
  if (mode.closedTradeCount < config.coldStartTrades) {
    lower(
      'cold_start',
      config.coldStartMaxLeverage,
      `cold start: ${mode.closedTradeCount} of ${config.coldStartTrades} trades closed, ceiling ${config.coldStartMaxLeverage}x`,
    );
  }
  if (mode.strategyMode === 'rules') {
    lower('rules_mode', config.rulesMaxLeverage, `rules mode: RULES_MAX_LEVERAGE ${config.rulesMaxLeverage}x`);
  }
  if (config.maxLeverage !== null) {
    lower('max_leverage', config.maxLeverage, `MAX_LEVERAGE ${config.maxLeverage}x`);
  }

  const beforeBracket = leverage;
  let capped = leverage;
  for (let round = 0; round < brackets.length * 2 + 4; round++) {
    const whole = wholeLeverage(capped);
    const bracket = bracketFor(brackets, whole * budgetUsdt);
    if (bracket.initialLeverage >= capped) break;
    // The highest whole leverage whose notional stays below this bracket; the next
    // round checks it against the lower bracket's own maximum.
    const belowThisBracket = budgetUsdt > 0 ? Math.ceil(bracket.notionalFloor / budgetUsdt) - 1 : whole;
    capped = Math.max(bracket.initialLeverage, Math.min(whole, belowThisBracket), 1);
  }
  if (capped < beforeBracket) {
    const notionalUsdt = wholeLeverage(capped) * budgetUsdt;
    const bracket = bracketFor(brackets, notionalUsdt);
    clamps.push({
      step: 'bracket',
      from: beforeBracket,
      to: capped,
      reason: `exchange bracket: at ${capped}x the notional ${notionalUsdt.toFixed(2)} USDT is in bracket ${bracket.bracket} (max ${bracket.initialLeverage}x below ${bracket.notionalCap} USDT)`,
    });
    leverage = capped;
  }
  return { leverage, clamps };
}

export interface StopDistances {
  /** Widened, floored stop fraction (before tick rounding). */
  readonly slPct: number;
  readonly slDistance: number;
  readonly tpDistance: number;
}

/**
 * Step 5: `slPct = baseSlPct × min(1 + (leverage − 1) × 0.05, 3)`, then the 0.3 %
 * floor; the SL distance is rounded UP to whole ticks (never tighter than planned);
 * the TP distance is 1.5 × the rounded SL distance, to the nearest tick.
 */
export function stopDistances(
  referencePrice: number,
  baseSlPct: number,
  leverage: number,
  tickSize: number,
): StopDistances {
  const scale = 1 + (leverage - 1) * 0.05;
  const slPct = Math.max(baseSlPct * Math.min(scale, 3), MIN_SL_RATE);
  const slDistance = Math.max(tickSize, roundPrice(referencePrice * slPct, tickSize, 'up'));
  const tpDistance = Math.max(tickSize, roundPrice(slDistance * TP_TO_SL_RATIO, tickSize, 'nearest'));
  return { slPct, slDistance, tpDistance };
}

/**
 * SL and TP prices at the given distances from `entryPrice`, direction from the side.
 * Off-grid entries (an average fill) are put on the tick grid: the SL away from the
 * entry (the distance never shrinks below the planned one), the TP to the nearest tick.
 */
export function stopPrices(
  side: Side,
  entryPrice: number,
  slDistance: number,
  tpDistance: number,
  tickSize: number,
): { readonly slPrice: number; readonly tpPrice: number } {
  if (side === 'long') {
    return {
      slPrice: roundPrice(entryPrice - slDistance, tickSize, 'down'),
      tpPrice: roundPrice(entryPrice + tpDistance, tickSize, 'nearest'),
    };
  }
  return {
    slPrice: roundPrice(entryPrice + slDistance, tickSize, 'up'),
    tpPrice: roundPrice(entryPrice - tpDistance, tickSize, 'nearest'),
  };
}

export interface OrderSize {
  readonly size: number;
  readonly forcedByMinimum: boolean;
}

/**
 * Step 7: `size = notionalBudget / price`, raised so the notional reaches
 * `minNotionalUsdt` and the size reaches `minQty`; rounded to the step grid: down,
 * unless a minimum forced the size (or rounding down would fall below one), then up.
 * `minimumOnly` (exploration) takes the minimum size whatever the budget. A
 * budget-sized order above `maxQty` (MARKET_LOT_SIZE) is cut to it.
 */
export function orderSize(
  notionalBudgetUsdt: number,
  price: number,
  stepSize: number,
  minQty: number,
  minNotionalUsdt: number,
  minimumOnly = false,
  maxQty: number | null = null,
): OrderSize {
  const minimumSize = Math.max(minNotionalUsdt / price, minQty);
  const meetsMinimums = (size: number): boolean =>
    size * price >= minNotionalUsdt * (1 - 1e-12) && size >= minQty - stepSize * 1e-9;
  if (!minimumOnly) {
    const down = roundQty(notionalBudgetUsdt / price, stepSize, 'down');
    if (meetsMinimums(down) && down > 0) {
      // MARKET_LOT_SIZE maxQty: a bigger order would be rejected (-4005), so the size stops there.
      const capped = maxQty !== null && down > maxQty ? roundQty(maxQty, stepSize, 'down') : down;
      return { size: capped, forcedByMinimum: false };
    }
  }
  let size = roundQty(minimumSize, stepSize, 'up');
  // Float dust can leave k·step·price a hair under the minimum; step up (bounded).
  for (let i = 0; i < 3 && (size * price < minNotionalUsdt || size < minQty || size <= 0); i++) {
    size = roundQty(size + stepSize, stepSize, 'nearest');
  }
  return { size, forcedByMinimum: true };
}

/**
 * Step 9's reward:risk after fees: `(tpDist − fees) / (slDist + fees)` with
 * `fees = 2 × takerFeeRate × price` (entry and exit taker fee, in price units).
 */
export function feeAdjustedRewardRisk(
  slDistance: number,
  tpDistance: number,
  price: number,
  takerFeeRate: number,
): number {
  const fees = 2 * takerFeeRate * price;
  return (tpDistance - fees) / (slDistance + fees);
}

/**
 * Step 6's test: the SL must trigger at least `bufferRate × entry` before the
 * liquidation price. A long with liquidation price 0 always passes.
 */
export function stopBeatsLiquidation(
  side: Side,
  slPrice: number,
  liquidationPrice: number,
  referencePrice: number,
  bufferRate: number,
): boolean {
  const buffer = bufferRate * referencePrice;
  const tolerance = referencePrice * 1e-12;
  return side === 'long'
    ? slPrice - liquidationPrice >= buffer - tolerance
    : liquidationPrice - slPrice >= buffer - tolerance;
}

/** Steps 1–9: the whole plan for one entry, or every reason it is refused. */
export function planEntry(input: PlanInput): PlanResult {
  const invalid = invalidInputReasons(input);
  if (invalid.length > 0) {
    return { ok: false, refusals: invalid.map((reason) => ({ code: 'invalid_input', reason })), plan: null };
  }
  const { side, referencePrice, rules, mode, config } = input;
  const { filters, brackets } = rules;
  const minNotionalUsdt = Math.max(config.minOrderNotionalUsdt, filters.minNotional ?? 0);

  // Step 1.
  const raw = leverageRaw(input.winProbability, input.confidence);
  // Step 4's budget does not depend on leverage, so it is known before step 2 needs it.
  const budgetUsdt = marginBudgetUsdt(input.equityUsdt, input.availableBalanceUsdt, mode.grade, config);
  // Step 2.
  const ceilings = applyLeverageCeilings(raw, budgetUsdt, brackets, mode, config);
  const clamps: LeverageClamp[] = [...ceilings.clamps];
  // Step 3.
  let leverage = wholeLeverage(ceilings.leverage);
  if (Math.abs(leverage - ceilings.leverage) > LEVERAGE_EPSILON) {
    clamps.push({
      step: 'whole_number',
      from: ceilings.leverage,
      to: leverage,
      reason: 'Binance accepts whole-number leverage only',
    });
  }
  if (input.exploration && leverage > 1) {
    clamps.push({ step: 'exploration', from: leverage, to: 1, reason: 'exploration trades use 1x' });
    leverage = 1;
  }

  // Steps 4–7 for each candidate leverage, lowering it until the stop beats liquidation (step 6).
  const startLeverage = leverage;
  let candidate = buildCandidate(input, leverage, raw, budgetUsdt, minNotionalUsdt);
  while (!candidate.guardOk && leverage > 1) {
    leverage -= 1;
    candidate = buildCandidate(input, leverage, raw, budgetUsdt, minNotionalUsdt);
  }
  const refusals: Refusal[] = [];
  if (leverage < startLeverage) {
    clamps.push({
      step: 'liquidation_guard',
      from: startLeverage,
      to: leverage,
      reason: `at ${startLeverage}x the stop would not trigger ${pct(config.liquidationBufferRate)} before liquidation; ${leverage}x is the highest leverage where it does`,
    });
  }
  if (!candidate.guardOk) {
    refusals.push({
      code: 'liquidation_guard',
      reason: `even at 1x the stop ${candidate.slPrice} does not trigger ${pct(config.liquidationBufferRate)} of the entry before the liquidation price ${candidate.liquidationPrice}`,
    });
  }
  const plan: EntryPlan = { ...candidate.plan, leverageClamps: clamps };

  // Step 9: the risk gate; every failing check is reported.
  if (mode.paused) refusals.push({ code: 'paused', reason: 'trading is paused' });
  if (!input.exploration) {
    if (input.winProbability < config.minWinProbability) {
      refusals.push({
        code: 'min_win_probability',
        reason: `win probability ${input.winProbability} is below MIN_WIN_PROBABILITY ${config.minWinProbability}`,
      });
    }
    if (input.confidence < config.minConfidence) {
      refusals.push({
        code: 'min_confidence',
        reason: `confidence ${input.confidence} is below MIN_CONFIDENCE ${config.minConfidence}`,
      });
    }
  }
  if (plan.feeAdjustedRr < config.minRrRatio) {
    refusals.push({
      code: 'min_rr_ratio',
      reason: `fee-adjusted reward:risk ${plan.feeAdjustedRr.toFixed(3)} is below MIN_RR_RATIO ${config.minRrRatio} (stop ${pct(plan.slDistance / referencePrice)})`,
    });
  }
  if (input.openPositions >= config.maxOpenPositions) {
    refusals.push({
      code: 'position_limit',
      reason: `${input.openPositions} positions open, MAX_OPEN_POSITIONS is ${config.maxOpenPositions}`,
    });
  }
  const requiredMarginUsdt = plan.notionalUsdt / plan.leverage;
  if (!(requiredMarginUsdt <= input.availableBalanceUsdt * (1 + 1e-12))) {
    refusals.push({
      code: 'balance',
      reason: `required margin ${requiredMarginUsdt.toFixed(4)} USDT exceeds the available balance ${input.availableBalanceUsdt.toFixed(4)} USDT`,
    });
  }
  if (refusals.length > 0) return { ok: false, refusals, plan };
  return { ok: true, plan };
}

/**
 * True when the only refusals are the model thresholds (MIN_WIN_PROBABILITY,
 * MIN_CONFIDENCE): the one case where the Trader may take an exploration trade.
 */
export function refusedOnlyByModelThresholds(refusals: readonly Refusal[]): boolean {
  return (
    refusals.length > 0 &&
    refusals.every((r) => r.code === 'min_win_probability' || r.code === 'min_confidence')
  );
}

/** Step 8: SL and TP at the plan's distances from the average fill price, on the tick grid. */
export function slTpFromFill(
  plan: Pick<EntryPlan, 'side' | 'slDistance' | 'tpDistance' | 'tickSize'>,
  fillPrice: number,
): { readonly slPrice: number; readonly tpPrice: number } {
  return stopPrices(plan.side, fillPrice, plan.slDistance, plan.tpDistance, plan.tickSize);
}

/**
 * Step 8: `notionalUsdt = size × entryPrice`, `marginUsdt = notionalUsdt / leverage`
 * (which is also the trade's `riskAmountUsdt`).
 */
export function tradeMargins(
  size: number,
  entryPrice: number,
  leverage: number,
): { readonly notionalUsdt: number; readonly marginUsdt: number } {
  const notionalUsdt = size * entryPrice;
  return { notionalUsdt, marginUsdt: notionalUsdt / leverage };
}

/** The trade's "1R": `size × |entry − sl|`. */
export function plannedRiskUsdt(size: number, entryPrice: number, slPrice: number): number {
  return size * Math.abs(entryPrice - slPrice);
}

/** The blueprint's 100 % loss: `pnl ≤ −riskAmount × 0.99` (riskAmount = margin at entry). */
export function is100PctLoss(pnlUsdt: number, riskAmountUsdt: number): boolean {
  return pnlUsdt <= -0.99 * riskAmountUsdt;
}

interface Candidate {
  readonly plan: EntryPlan;
  readonly guardOk: boolean;
  readonly slPrice: number;
  readonly liquidationPrice: number;
}

/** Steps 4–7 at one applied leverage (clamps are filled in by the caller). */
function buildCandidate(
  input: PlanInput,
  leverage: number,
  raw: number,
  budgetUsdt: number,
  minNotionalUsdt: number,
): Candidate {
  const { side, referencePrice, rules, config } = input;
  const { filters, brackets } = rules;
  const notionalBudgetUsdt = leverage * budgetUsdt;
  const distances = stopDistances(referencePrice, input.baseSlPct, leverage, filters.tickSize);
  const { slPrice, tpPrice } = stopPrices(
    side,
    referencePrice,
    distances.slDistance,
    distances.tpDistance,
    filters.tickSize,
  );
  const sized = orderSize(
    notionalBudgetUsdt,
    referencePrice,
    filters.marketStepSize,
    filters.marketMinQty,
    minNotionalUsdt / (1 - config.minNotionalHeadroomRate),
    input.exploration,
    filters.marketMaxQty,
  );
  const notionalUsdt = sized.size * referencePrice;
  const liquidationPrice = isolatedLiquidationPrice({
    side,
    size: sized.size,
    entryPrice: referencePrice,
    isolatedMarginUsdt: notionalUsdt / leverage,
    brackets,
  });
  const guardOk = stopBeatsLiquidation(side, slPrice, liquidationPrice, referencePrice, config.liquidationBufferRate);
  const plan: EntryPlan = {
    symbol: input.symbol,
    side,
    leverageRaw: raw,
    leverage,
    leverageClamps: [],
    marginBudgetUsdt: budgetUsdt,
    notionalUsdt,
    size: sized.size,
    slPct: distances.slPct,
    slDistance: distances.slDistance,
    tpDistance: distances.tpDistance,
    slPrice,
    tpPrice,
    liquidationPrice,
    feeAdjustedRr: feeAdjustedRewardRisk(
      distances.slDistance,
      distances.tpDistance,
      referencePrice,
      config.takerFeeRate,
    ),
    minNotionalUsdt,
    tickSize: filters.tickSize,
    stepSize: filters.marketStepSize,
    referencePrice,
    exploration: input.exploration,
    sizeForcedByMinimum: sized.forcedByMinimum,
  };
  return { plan, guardOk, slPrice, liquidationPrice };
}

function invalidInputReasons(input: PlanInput): string[] {
  const reasons: string[] = [];
  const { config, rules } = input;
  const positive = (value: number, name: string): void => {
    if (!Number.isFinite(value) || value <= 0) reasons.push(`${name} must be a positive number, got ${value}`);
  };
  const finite = (value: number, name: string): void => {
    if (!Number.isFinite(value)) reasons.push(`${name} must be a finite number, got ${value}`);
  };
  positive(input.referencePrice, 'referencePrice');
  positive(input.baseSlPct, 'baseSlPct');
  finite(input.winProbability, 'winProbability');
  finite(input.confidence, 'confidence');
  finite(input.equityUsdt, 'equityUsdt');
  finite(input.availableBalanceUsdt, 'availableBalanceUsdt');
  if (!Number.isInteger(input.openPositions) || input.openPositions < 0) {
    reasons.push(`openPositions must be a whole number ≥ 0, got ${input.openPositions}`);
  }
  positive(rules.filters.tickSize, 'tickSize');
  positive(rules.filters.marketStepSize, 'marketStepSize');
  finite(rules.filters.marketMinQty, 'marketMinQty');
  if (rules.brackets.length === 0) reasons.push(`no leverage brackets for ${rules.symbol}`);
  if (!Number.isInteger(config.maxOpenPositions) || config.maxOpenPositions < 1) {
    reasons.push(`maxOpenPositions must be a whole number ≥ 1, got ${config.maxOpenPositions}`);
  }
  if (config.maxLeverage !== null && !(config.maxLeverage >= 1)) {
    reasons.push(`MAX_LEVERAGE must be ≥ 1 when set, got ${config.maxLeverage}`);
  }
  if (!(config.rulesMaxLeverage >= 1)) reasons.push(`RULES_MAX_LEVERAGE must be ≥ 1, got ${config.rulesMaxLeverage}`);
  if (!(config.coldStartMaxLeverage >= 1)) {
    reasons.push(`coldStartMaxLeverage must be ≥ 1, got ${config.coldStartMaxLeverage}`);
  }
  if (!(config.liquidationBufferRate >= 0)) {
    reasons.push(`LIQUIDATION_BUFFER_PCT must be ≥ 0, got ${config.liquidationBufferRate}`);
  }
  if (input.baseSlPct >= 1) reasons.push(`baseSlPct must be below 1 (100 %), got ${input.baseSlPct}`);
  return reasons;
}

/**
 * Step 3's floor, tolerant of float noise: the formula gives 11.999999999999995 for
 * 70 % / 0.5, which the blueprint calls 12x.
 */
export function wholeLeverage(leverage: number): number {
  return Math.max(1, Math.floor(leverage + LEVERAGE_EPSILON));
}

const LEVERAGE_EPSILON = 1e-9;

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(3)} %`;
}
