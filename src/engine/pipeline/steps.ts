/**
 * The blueprint pipeline's single steps as pure functions (BLUEPRINT.md "From signal
 * to order", steps 1–8); plan.ts runs them in order.
 */
import { bracketFor, decimalsOf, roundQty } from '../exchange-rules.js';
import type { LeverageBracket, LeverageClamp, Side } from '../types.js';
import {
  EQUITY_MARGIN_SHARE,
  MIN_SL_RATE,
  TP_TO_SL_RATIO,
  type EntryPlan,
  type Grade,
  type PipelineConfig,
  type PlanMode,
} from './config.js';

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
export function marginBudgetUsdt(equityUsdt: number, availableBalanceUsdt: number, grade: Grade | null, config: PipelineConfig): number {
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
  if (mode.closedTradeCount < config.coldStartTrades) {
    leverage = lowered(
      clamps,
      leverage,
      'cold_start',
      config.coldStartMaxLeverage,
      () => `cold start: ${mode.closedTradeCount} of ${config.coldStartTrades} trades closed, ceiling ${config.coldStartMaxLeverage}x`,
    );
  }
  if (mode.strategyMode === 'rules') {
    leverage = lowered(
      clamps,
      leverage,
      'rules_mode',
      config.rulesMaxLeverage,
      () => `rules mode: RULES_MAX_LEVERAGE ${config.rulesMaxLeverage}x`,
    );
  }
  if (config.maxLeverage !== null) {
    const ceiling = config.maxLeverage;
    leverage = lowered(clamps, leverage, 'max_leverage', ceiling, () => `MAX_LEVERAGE ${ceiling}x`);
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

/**
 * One ceiling: when it is below `leverage`, the clamp is recorded and the ceiling returned.
 * The reason is worded only then (most plans pass most ceilings).
 */
function lowered(clamps: LeverageClamp[], leverage: number, step: LeverageClamp['step'], ceiling: number, reason: () => string): number {
  if (!(ceiling < leverage)) return leverage;
  clamps.push({ step, from: leverage, to: ceiling, reason: reason() });
  return ceiling;
}

export interface StopDistances {
  /** Widened, floored stop fraction (before tick rounding). */
  readonly slPct: number;
  readonly slDistance: number;
  readonly tpDistance: number;
}

/**
 * Prices in whole ticks: a value's tick count with float noise removed (1e-6 of a tick), so
 * that a count meant to be n + ½ is exactly that and rounds the same way every time.
 */
function ticksOf(value: number, tickSize: number): number {
  return Math.round((value / tickSize) * 1e6) / 1e6;
}

/**
 * `ticks` whole ticks as a price on the grid (no float tail): the double nearest to the exact
 * decimal ticks × tickSize, which is what `Number((ticks * tickSize).toFixed(decimals))` gives.
 * Computed as whole units of the last decimal over a power of ten (one correctly rounded
 * division, no string); the string path stays for magnitudes where that is not exact.
 */
export function fromTicks(ticks: number, tickSize: number): number {
  const decimals = decimalsOf(tickSize);
  const scale = 10 ** decimals;
  const units = ticks * Math.round(tickSize * scale);
  const price =
    Number.isInteger(units) && Math.abs(units) < 1e15 && decimals <= 22 ? units / scale : Number((ticks * tickSize).toFixed(decimals));
  return Object.is(price, -0) ? 0 : price;
}

/** Half a tick and more rounds up, in tick units (Math.round: n + ½ → n + 1). */
const nearestTick = (ticks: number): number => Math.round(ticks);

/**
 * Step 5: `slPct = baseSlPct × min(1 + (leverage − 1) × 0.05, 3)`, then the 0.3 %
 * floor; the SL distance is rounded UP to whole ticks (never tighter than planned);
 * the TP distance is 1.5 × the SL's whole ticks, to the nearest tick (an odd SL tick
 * count gives n + ½ exactly, which rounds up: computed in ticks, not in float prices).
 */
export function stopDistances(referencePrice: number, baseSlPct: number, leverage: number, tickSize: number): StopDistances {
  const scale = 1 + (leverage - 1) * 0.05;
  const slPct = Math.max(baseSlPct * Math.min(scale, 3), MIN_SL_RATE);
  const slTicks = Math.max(1, Math.ceil(ticksOf(referencePrice * slPct, tickSize)));
  const tpTicks = Math.max(1, nearestTick(slTicks * TP_TO_SL_RATIO));
  return { slPct, slDistance: fromTicks(slTicks, tickSize), tpDistance: fromTicks(tpTicks, tickSize) };
}

/**
 * SL and TP prices at the given distances from `entryPrice`, direction from the side, in
 * whole ticks. Off-grid entries (an average fill) are put on the tick grid: the SL away from
 * the entry (the distance never shrinks below the planned one), the TP to the nearest tick
 * (half a tick rounds up).
 */
export function stopPrices(
  side: Side,
  entryPrice: number,
  slDistance: number,
  tpDistance: number,
  tickSize: number,
): { readonly slPrice: number; readonly tpPrice: number } {
  const entryTicks = ticksOf(entryPrice, tickSize);
  const slTicks = ticksOf(slDistance, tickSize);
  const tpTicks = ticksOf(tpDistance, tickSize);
  if (side === 'long') {
    return {
      slPrice: fromTicks(Math.floor(entryTicks - slTicks), tickSize),
      tpPrice: fromTicks(nearestTick(entryTicks + tpTicks), tickSize),
    };
  }
  return {
    slPrice: fromTicks(Math.ceil(entryTicks + slTicks), tickSize),
    tpPrice: fromTicks(nearestTick(entryTicks - tpTicks), tickSize),
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
  if (!minimumOnly) {
    const down = roundQty(notionalBudgetUsdt / price, stepSize, 'down');
    const meetsMinimums = down * price >= minNotionalUsdt * (1 - 1e-12) && down >= minQty - stepSize * 1e-9;
    if (meetsMinimums && down > 0) {
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
export function feeAdjustedRewardRisk(slDistance: number, tpDistance: number, price: number, takerFeeRate: number): number {
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
  return side === 'long' ? slPrice - liquidationPrice >= buffer - tolerance : liquidationPrice - slPrice >= buffer - tolerance;
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

/**
 * Step 3's floor, tolerant of float noise: the formula gives 11.999999999999995 for
 * 70 % / 0.5, which the blueprint calls 12x.
 */
export function wholeLeverage(leverage: number): number {
  return Math.max(1, Math.floor(leverage + LEVERAGE_EPSILON));
}

/** Float noise tolerated when flooring leverage (step 3). */
export const LEVERAGE_EPSILON = 1e-9;
