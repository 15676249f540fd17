/**
 * Steps 1–9 in the blueprint's order (BLUEPRINT.md "From signal to order"): the whole
 * plan for one entry, or every reason it is refused. A new entry gate goes into
 * `riskGateRefusals` (step 9) next to the blueprint's.
 */
import { isolatedLiquidationPrice } from '../exchange-rules.js';
import { expectedRAfterCosts } from '../learning/gate.js';
import type { LeverageClamp } from '../types.js';
import type { EntryPlan, PlanInput, PlanResult, Refusal } from './config.js';
import {
  LEVERAGE_EPSILON,
  applyLeverageCeilings,
  feeAdjustedRewardRisk,
  leverageRaw,
  marginBudgetUsdt,
  orderSize,
  stopBeatsLiquidation,
  stopDistances,
  stopPrices,
  wholeLeverage,
} from './steps.js';

/** Steps 1–9: the whole plan for one entry, or every reason it is refused. */
export function planEntry(input: PlanInput): PlanResult {
  const invalid = invalidInputReasons(input);
  if (invalid.length > 0) {
    return { ok: false, refusals: invalid.map((reason) => ({ code: 'invalid_input', reason })), plan: null };
  }
  const { mode, config } = input;
  const minNotionalUsdt = Math.max(config.minOrderNotionalUsdt, input.rules.filters.minNotional ?? 0);
  // Step 1.
  const raw = leverageRaw(input.winProbability, input.confidence);
  // Step 4's budget does not depend on leverage, so it is known before step 2 needs it.
  const budgetUsdt = marginBudgetUsdt(input.equityUsdt, input.availableBalanceUsdt, mode.grade, config);
  const { leverage, clamps } = startingLeverage(input, raw, budgetUsdt);
  const refusals: Refusal[] = [];
  const candidate = guardedCandidate(input, { leverage, raw, budgetUsdt, minNotionalUsdt }, clamps, refusals);
  const plan: EntryPlan = { ...candidate.plan, leverageClamps: clamps };
  refusals.push(...riskGateRefusals(input, plan));
  if (refusals.length > 0) return { ok: false, refusals, plan };
  return { ok: true, plan };
}

/**
 * Steps 2–3: the ceilings, the whole-number floor and exploration's 1x, each recorded as a clamp.
 * First ceiling (self-learning): a model whose confidence did not rank outcomes on its validation
 * window may not raise leverage with it: the formula's confidence factor is held at 1
 * (`leverageRaw` itself stays the blueprint formula of p and confidence).
 */
function startingLeverage(input: PlanInput, raw: number, budgetUsdt: number): { leverage: number; clamps: LeverageClamp[] } {
  const clamps: LeverageClamp[] = [];
  let start = raw;
  if (input.model !== undefined && !input.model.confidenceRanks) {
    const withoutConfidence = leverageRaw(input.winProbability, 0);
    if (withoutConfidence < raw) {
      clamps.push({
        step: 'confidence',
        from: raw,
        to: withoutConfidence,
        reason: `confidence ${input.confidence.toFixed(2)} did not rank outcomes on the model's validation window; it may not raise leverage`,
      });
      start = withoutConfidence;
    }
  }
  const ceilings = applyLeverageCeilings(start, budgetUsdt, input.rules.brackets, input.mode, input.config);
  clamps.push(...ceilings.clamps);
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
  return { leverage, clamps };
}

interface CandidateBasis {
  readonly leverage: number;
  readonly raw: number;
  readonly budgetUsdt: number;
  readonly minNotionalUsdt: number;
}

/** Steps 4–7 for each candidate leverage, lowering it until the stop beats liquidation (step 6). */
function guardedCandidate(input: PlanInput, basis: CandidateBasis, clamps: LeverageClamp[], refusals: Refusal[]): Candidate {
  const { raw, budgetUsdt, minNotionalUsdt } = basis;
  const startLeverage = basis.leverage;
  let leverage = startLeverage;
  let candidate = buildCandidate(input, leverage, raw, budgetUsdt, minNotionalUsdt);
  while (!candidate.guardOk && leverage > 1) {
    leverage -= 1;
    candidate = buildCandidate(input, leverage, raw, budgetUsdt, minNotionalUsdt);
  }
  if (leverage < startLeverage) {
    clamps.push({
      step: 'liquidation_guard',
      from: startLeverage,
      to: leverage,
      reason: `at ${startLeverage}x the stop would not trigger ${pct(input.config.liquidationBufferRate)} before liquidation; ${leverage}x is the highest leverage where it does`,
    });
  }
  if (!candidate.guardOk) {
    refusals.push({
      code: 'liquidation_guard',
      reason: `even at 1x the stop ${candidate.slPrice} does not trigger ${pct(input.config.liquidationBufferRate)} of the entry before the liquidation price ${candidate.liquidationPrice}`,
    });
  }
  return candidate;
}

/** Step 9: the risk gate; every failing check is reported. */
function riskGateRefusals(input: PlanInput, plan: EntryPlan): Refusal[] {
  const { mode, config } = input;
  const refusals: Refusal[] = [];
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
      reason: `fee-adjusted reward:risk ${plan.feeAdjustedRr.toFixed(3)} is below MIN_RR_RATIO ${config.minRrRatio} (stop ${pct(plan.slDistance / input.referencePrice)})`,
    });
  }
  if (input.model !== undefined && !input.exploration && plan.expectedR !== null && !(plan.expectedR > config.minExpectedR)) {
    refusals.push({
      code: 'expected_value',
      reason: `expected ${plan.expectedR.toFixed(3)} R after costs at win probability ${input.winProbability.toFixed(3)} is not above MIN_EXPECTED_R ${config.minExpectedR}`,
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
  return refusals;
}

/**
 * True when the only refusals are the model thresholds (MIN_WIN_PROBABILITY,
 * MIN_CONFIDENCE, the expected-value gate): the one case where the Trader may take an
 * exploration trade (BLUEPRINT "Further optimisations" 2).
 */
export function refusedOnlyByModelThresholds(refusals: readonly Refusal[]): boolean {
  return (
    refusals.length > 0 &&
    refusals.every((r) => r.code === 'min_win_probability' || r.code === 'min_confidence' || r.code === 'expected_value')
  );
}

interface Candidate {
  readonly plan: EntryPlan;
  readonly guardOk: boolean;
  readonly slPrice: number;
  readonly liquidationPrice: number;
}

/** Steps 4–7 at one applied leverage (clamps are filled in by the caller). */
function buildCandidate(input: PlanInput, leverage: number, raw: number, budgetUsdt: number, minNotionalUsdt: number): Candidate {
  const { side, referencePrice, rules, config } = input;
  const { filters, brackets } = rules;
  const notionalBudgetUsdt = leverage * budgetUsdt;
  const distances = stopDistances(referencePrice, input.baseSlPct, leverage, filters.tickSize);
  const { slPrice, tpPrice } = stopPrices(side, referencePrice, distances.slDistance, distances.tpDistance, filters.tickSize);
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
    feeAdjustedRr: feeAdjustedRewardRisk(distances.slDistance, distances.tpDistance, referencePrice, config.takerFeeRate),
    minNotionalUsdt,
    tickSize: filters.tickSize,
    stepSize: filters.marketStepSize,
    referencePrice,
    exploration: input.exploration,
    sizeForcedByMinimum: sized.forcedByMinimum,
    expectedR:
      input.model === undefined
        ? null
        : expectedRAfterCosts({
            winProbability: input.winProbability,
            slDistance: distances.slDistance,
            tpDistance: distances.tpDistance,
            referencePrice,
            takerFeeRate: config.takerFeeRate,
            slippageRate: config.slippageRate,
          }).expectedR,
  };
  return { plan, guardOk, slPrice, liquidationPrice };
}

function invalidInputReasons(input: PlanInput): string[] {
  const reasons: string[] = [];
  const { config, rules } = input;
  requirePositive(reasons, input.referencePrice, 'referencePrice');
  requirePositive(reasons, input.baseSlPct, 'baseSlPct');
  requireFinite(reasons, input.winProbability, 'winProbability');
  requireFinite(reasons, input.confidence, 'confidence');
  requireFinite(reasons, input.equityUsdt, 'equityUsdt');
  requireFinite(reasons, input.availableBalanceUsdt, 'availableBalanceUsdt');
  if (!Number.isInteger(input.openPositions) || input.openPositions < 0) {
    reasons.push(`openPositions must be a whole number ≥ 0, got ${input.openPositions}`);
  }
  requirePositive(reasons, rules.filters.tickSize, 'tickSize');
  requirePositive(reasons, rules.filters.marketStepSize, 'marketStepSize');
  requireFinite(reasons, rules.filters.marketMinQty, 'marketMinQty');
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

function requirePositive(reasons: string[], value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) reasons.push(`${name} must be a positive number, got ${value}`);
}

function requireFinite(reasons: string[], value: number, name: string): void {
  if (!Number.isFinite(value)) reasons.push(`${name} must be a finite number, got ${value}`);
}

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(3)} %`;
}
