import { describe, expect, it } from 'vitest';
import { isolatedLiquidationPrice } from '../../src/engine/exchange-rules.js';
import {
  applyLeverageCeilings,
  defaultPipelineConfig,
  feeAdjustedRewardRisk,
  is100PctLoss,
  leverageRaw,
  marginBudgetUsdt,
  orderSize,
  planEntry,
  plannedRiskUsdt,
  refusedOnlyByModelThresholds,
  slTpFromFill,
  stopDistances,
  tradeMargins,
  type EntryPlan,
  type PlanInput,
  type PlanResult,
  type RefusalCode,
  wholeLeverage,
} from '../../src/engine/pipeline.js';
import type { LeverageBracket, SymbolRules } from '../../src/engine/types.js';
import { btcBrackets, btcRules } from './fixtures/brackets.js';

/** XRPUSDT brackets 1–4, copied from data/exchange/leverage-brackets.json. */
const xrpBrackets: readonly LeverageBracket[] = [
  { bracket: 1, initialLeverage: 75, notionalCap: 10000, notionalFloor: 0, maintMarginRatio: 0.005, cum: 0 },
  { bracket: 2, initialLeverage: 50, notionalCap: 20000, notionalFloor: 10000, maintMarginRatio: 0.0065, cum: 15 },
  { bracket: 3, initialLeverage: 40, notionalCap: 160000, notionalFloor: 20000, maintMarginRatio: 0.01, cum: 85 },
  { bracket: 4, initialLeverage: 25, notionalCap: 800000, notionalFloor: 160000, maintMarginRatio: 0.02, cum: 1685 },
];

const ethRules: SymbolRules = {
  symbol: 'ETHUSDT',
  filters: { ...btcRules.filters, tickSize: 0.01 },
  brackets: btcBrackets,
};

/** A trusted model after cold start, BTC at 100 000, 0.4 % base stop, 10 000 USDT equity. */
function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    symbol: 'BTCUSDT',
    side: 'long',
    referencePrice: 100000,
    baseSlPct: 0.004,
    winProbability: 0.7,
    confidence: 0.5,
    exploration: false,
    equityUsdt: 10000,
    availableBalanceUsdt: 10000,
    openPositions: 0,
    rules: btcRules,
    mode: { paused: false, strategyMode: 'self_learning', grade: 'A', closedTradeCount: 500 },
    config: defaultPipelineConfig,
    ...overrides,
  };
}

function planOf(result: PlanResult): EntryPlan {
  if (result.ok) return result.plan;
  if (result.plan === null) throw new Error(`no plan: ${JSON.stringify(result.refusals)}`);
  return result.plan;
}

function refusalCodes(result: PlanResult): RefusalCode[] {
  return result.ok ? [] : result.refusals.map((r) => r.code);
}

describe('step 1: leverageRaw', () => {
  it.each([
    [0.7, 0.5, 12],
    [0.85, 1.0, 46],
    [0.55, 0.5, 1],
    [0.5, 0.2, 1],
    [0.6, 0.5, 1 + (0.05 / 0.15) * 11],
    [1.0, 1.0, 68],
  ])('gives %s / %s → %s before any ceiling', (winProbability, confidence, expected) => {
    expect(leverageRaw(winProbability, confidence)).toBeCloseTo(expected, 9);
  });
});

describe('step 2–3: ceilings and whole-number leverage', () => {
  it('caps leverage at 10x during cold start', () => {
    const plan = planOf(
      planEntry(
        input({
          winProbability: 0.85,
          confidence: 1,
          mode: { paused: false, strategyMode: 'self_learning', grade: 'A', closedTradeCount: 99 },
        }),
      ),
    );
    expect(plan.leverageRaw).toBeCloseTo(46, 9);
    expect(plan.leverage).toBe(10);
    expect(plan.leverageClamps[0]).toMatchObject({ step: 'cold_start', to: 10 });
    expect(plan.leverageClamps[0]?.from).toBeCloseTo(46, 9);
  });

  it('lifts the cold-start ceiling after 100 closed trades', () => {
    const plan = planOf(planEntry(input({ winProbability: 0.7, confidence: 0.5 })));
    expect(plan.leverage).toBe(12);
    expect(plan.leverageClamps).toEqual([]);
  });

  it('caps leverage at RULES_MAX_LEVERAGE in rules mode', () => {
    const plan = planOf(planEntry(input({ mode: { paused: false, strategyMode: 'rules', grade: null, closedTradeCount: 500 } })));
    expect(plan.leverage).toBe(3);
    expect(plan.leverageClamps.map((c) => c.step)).toEqual(['rules_mode']);
  });

  it('caps leverage at MAX_LEVERAGE when set', () => {
    const plan = planOf(planEntry(input({ config: { ...defaultPipelineConfig, maxLeverage: 7 } })));
    expect(plan.leverage).toBe(7);
    expect(plan.leverageClamps).toEqual([expect.objectContaining({ step: 'max_leverage', to: 7 })]);
    expect(plan.leverageClamps[0]?.from).toBeCloseTo(12, 9);
  });

  it('records every ceiling that lowered the leverage, lowest wins', () => {
    const plan = planOf(
      planEntry(
        input({
          winProbability: 0.85,
          confidence: 1,
          mode: { paused: false, strategyMode: 'rules', grade: null, closedTradeCount: 0 },
          config: { ...defaultPipelineConfig, maxLeverage: 2 },
        }),
      ),
    );
    expect(plan.leverage).toBe(2);
    expect(plan.leverageClamps.map((c) => [c.step, c.to])).toEqual([
      ['cold_start', 10],
      ['rules_mode', 3],
      ['max_leverage', 2],
    ]);
  });

  it('caps leverage at the bracket maximum of the resulting notional', () => {
    // Budget 160 000 USDT: 68x would be 10.9 M notional → bracket 4 (max 50x); 50x = 8 M stays in bracket 4.
    const plan = planOf(
      planEntry(
        input({
          winProbability: 1,
          confidence: 1,
          baseSlPct: 0.001,
          equityUsdt: 1_000_000,
          availableBalanceUsdt: 1_000_000,
        }),
      ),
    );
    expect(plan.leverageClamps[0]).toMatchObject({ step: 'bracket', from: 68, to: 50 });
    expect(plan.leverage).toBe(50);
    expect(plan.notionalUsdt).toBeCloseTo(8_000_000, 6);
  });

  it('finds the highest leverage whose notional fits its own bracket', () => {
    // XRP, budget 300: 68x → 20 400 (bracket 3, max 40x); 66x → 19 800 (bracket 2, max 50x); 50x → 15 000 fits.
    const mode = { paused: false, strategyMode: 'self_learning', grade: 'A', closedTradeCount: 500 } as const;
    const result = applyLeverageCeilings(68, 300, xrpBrackets, mode, defaultPipelineConfig);
    expect(result.leverage).toBe(50);
    expect(result.clamps).toEqual([expect.objectContaining({ step: 'bracket', from: 68, to: 50 })]);
  });

  it('calls the 70 % / 0.5 leverage 12x despite float noise, without a whole-number clamp', () => {
    expect(wholeLeverage(leverageRaw(0.7, 0.5))).toBe(12);
    expect(wholeLeverage(12.999)).toBe(12);
    expect(wholeLeverage(0.5)).toBe(1);
  });

  it('floors the leverage to a whole number and records it', () => {
    const plan = planOf(planEntry(input({ winProbability: 0.6, confidence: 0.5 })));
    expect(plan.leverage).toBe(4);
    expect(plan.leverageClamps).toEqual([expect.objectContaining({ step: 'whole_number', to: 4 })]);
    expect(plan.leverageClamps[0]?.from).toBeCloseTo(1 + 11 / 3, 9);
  });

  it('trades exploration at 1x with the minimum size', () => {
    const result = planEntry(input({ winProbability: 0.7, confidence: 0.3, exploration: true }));
    expect(result.ok).toBe(true);
    const plan = planOf(result);
    expect(plan.leverage).toBe(1);
    expect(plan.leverageClamps.at(-1)).toMatchObject({ step: 'exploration', from: 12, to: 1 });
    expect(plan.size).toBe(0.001);
    expect(plan.sizeForcedByMinimum).toBe(true);
  });
});

describe('step 4: margin budget', () => {
  it('splits 80 % of equity across MAX_OPEN_POSITIONS', () => {
    expect(marginBudgetUsdt(10000, 10000, 'A', defaultPipelineConfig)).toBeCloseTo(1600, 9);
    expect(marginBudgetUsdt(10000, 10000, 'A', { ...defaultPipelineConfig, maxOpenPositions: 1 })).toBeCloseTo(8000, 9);
  });

  it('multiplies the budget at grade S', () => {
    expect(marginBudgetUsdt(10000, 10000, 'S', defaultPipelineConfig)).toBeCloseTo(1920, 9);
  });

  it('never exceeds the available balance', () => {
    expect(marginBudgetUsdt(10000, 500, 'S', defaultPipelineConfig)).toBeCloseTo(500, 9);
  });

  it('sizes the notional as leverage × budget, rounded down on the step', () => {
    const plan = planOf(planEntry(input()));
    // 12 × 1600 = 19 200 USDT at 100 000 → 0.192 BTC.
    expect(plan.marginBudgetUsdt).toBeCloseTo(1600, 9);
    expect(plan.size).toBeCloseTo(0.192, 9);
    expect(plan.notionalUsdt).toBeCloseTo(19200, 6);
    expect(plan.sizeForcedByMinimum).toBe(false);
  });
});

describe('step 5: SL/TP distances', () => {
  it('raises a 0.1 % stop to the 0.3 % floor', () => {
    const d = stopDistances(100000, 0.001, 1, 0.1);
    expect(d.slPct).toBeCloseTo(0.003, 9);
    expect(d.slDistance).toBeCloseTo(300, 9);
    expect(d.tpDistance).toBeCloseTo(450, 9);
  });

  it('widens the stop with leverage, at most 3×', () => {
    expect(stopDistances(100000, 0.004, 12, 0.1).slPct).toBeCloseTo(0.004 * 1.55, 9);
    expect(stopDistances(100000, 0.004, 46, 0.1).slPct).toBeCloseTo(0.012, 9);
  });

  it('rounds the stop distance up to whole ticks and the target to the nearest tick', () => {
    // 123.45 × 0.003 = 0.37035 → 0.38; 1.5 × 0.38 = 0.57.
    const d = stopDistances(123.45, 0.003, 1, 0.01);
    expect(d.slDistance).toBeCloseTo(0.38, 9);
    expect(d.tpDistance).toBeCloseTo(0.57, 9);
    // 301 ticks → 451.5 ticks → 452 ticks.
    const odd = stopDistances(100000, 0.00301, 1, 1);
    expect(odd.slDistance).toBe(301);
    expect(odd.tpDistance).toBe(452);
  });

  it('places the stop below a long and above a short', () => {
    const long = planOf(planEntry(input()));
    expect(long.slPrice).toBeCloseTo(100000 - 620, 9);
    expect(long.tpPrice).toBeCloseTo(100000 + 930, 9);
    const short = planOf(planEntry(input({ side: 'short' })));
    expect(short.slPrice).toBeCloseTo(100000 + 620, 9);
    expect(short.tpPrice).toBeCloseTo(100000 - 930, 9);
  });
});

describe('step 6: liquidation guard', () => {
  it('lowers leverage until the stop triggers before liquidation', () => {
    // 68x long, 1.2 % stop (3 × 0.4 %): at 48x liquidation is 98 309.9, 490.1 below the stop at 98 800 (< 500 buffer);
    // at 47x it is 98 265.4, 534.6 below the stop.
    const plan = planOf(planEntry(input({ winProbability: 1, confidence: 1, equityUsdt: 1000, availableBalanceUsdt: 1000 })));
    expect(plan.leverage).toBe(47);
    expect(plan.leverageClamps).toEqual([expect.objectContaining({ step: 'liquidation_guard', from: 68, to: 47 })]);
    expect(plan.slPrice).toBeCloseTo(98800, 9);
    expect(plan.liquidationPrice).toBeCloseTo((100000 * (1 - 1 / 47)) / 0.996, 6);
    expect(plan.slPrice - plan.liquidationPrice).toBeGreaterThanOrEqual(500);
    const at48 = isolatedLiquidationPrice({
      side: 'long',
      size: 1,
      entryPrice: 100000,
      isolatedMarginUsdt: 100000 / 48,
      brackets: btcBrackets,
    });
    expect(plan.slPrice - at48).toBeLessThan(500);
  });

  it('applies the same guard to shorts', () => {
    const plan = planOf(
      planEntry(input({ side: 'short', winProbability: 1, confidence: 1, equityUsdt: 1000, availableBalanceUsdt: 1000 })),
    );
    expect(plan.liquidationPrice - plan.slPrice).toBeGreaterThanOrEqual(500);
    expect(plan.leverageClamps.map((c) => c.step)).toEqual(['liquidation_guard']);
  });

  it('refuses the trade when even 1x fails the guard', () => {
    const result = planEntry(input({ side: 'short', config: { ...defaultPipelineConfig, liquidationBufferRate: 1.5 } }));
    expect(refusalCodes(result)).toEqual(['liquidation_guard']);
    expect(planOf(result).leverage).toBe(1);
  });
});

describe('step 7: order size', () => {
  it('raises a 3 USDT order to 10 USDT, rounded up on the step', () => {
    const sized = orderSize(3, 2345.67, 0.001, 0.001, 10);
    expect(sized.size).toBeCloseTo(0.005, 9);
    expect(sized.size * 2345.67).toBeGreaterThanOrEqual(10);
    expect(sized.forcedByMinimum).toBe(true);
  });

  it('raises a 3 USDT plan to the minimum notional', () => {
    // Equity 18.75 → budget 3 USDT at 1x.
    const result = planEntry(
      input({
        rules: ethRules,
        referencePrice: 2345.67,
        baseSlPct: 0.01,
        winProbability: 0.55,
        equityUsdt: 18.75,
        availableBalanceUsdt: 18.75,
      }),
    );
    expect(result.ok).toBe(true);
    const plan = planOf(result);
    expect(plan.marginBudgetUsdt).toBeCloseTo(3, 9);
    expect(plan.size).toBeCloseTo(0.005, 9);
    expect(plan.notionalUsdt).toBeGreaterThanOrEqual(10);
    expect(plan.sizeForcedByMinimum).toBe(true);
    expect(plan.minNotionalUsdt).toBe(10);
  });

  it('raises a size below minQty to minQty', () => {
    // 10 USDT of BTC at 100 000 is 0.0001 BTC; minQty is 0.001.
    expect(orderSize(3, 100000, 0.001, 0.001, 10)).toEqual({ size: 0.001, forcedByMinimum: true });
  });

  it('raises the size when rounding down would fall below the minimum notional', () => {
    // 10.5 USDT of a 3-USDT-step coin rounds down to 9 USDT: the minimum forces 12 USDT.
    expect(orderSize(10.5, 3, 1, 1, 10)).toEqual({ size: 4, forcedByMinimum: true });
  });

  it('cuts a budget-sized order to the market maxQty', () => {
    expect(orderSize(1_000_000, 100, 0.01, 0.01, 10, false, 120)).toEqual({ size: 120, forcedByMinimum: false });
  });

  it("uses the exchange's minNotional when it is above 10 USDT", () => {
    const rules: SymbolRules = { ...ethRules, filters: { ...ethRules.filters, minNotional: 20 } };
    const plan = planOf(planEntry(input({ rules, referencePrice: 2345.67, exploration: true })));
    expect(plan.minNotionalUsdt).toBe(20);
    expect(plan.size).toBeCloseTo(0.009, 9);
  });
});

describe('step 8: after the fill', () => {
  it('places SL and TP at the planned distances from the fill, on the tick grid', () => {
    const plan = planOf(planEntry(input()));
    expect(slTpFromFill(plan, 100050)).toEqual({ slPrice: 99430, tpPrice: 100980 });
    // An off-grid average fill: the stop goes away from the entry, the target to the nearest tick.
    expect(slTpFromFill(plan, 100000.07)).toEqual({ slPrice: 99380, tpPrice: 100930.1 });
    const short = planOf(planEntry(input({ side: 'short' })));
    expect(slTpFromFill(short, 100000.07)).toEqual({ slPrice: 100620.1, tpPrice: 99070.1 });
  });

  it('records notional and margin from the fill', () => {
    const margins = tradeMargins(0.192, 100050, 12);
    expect(margins.notionalUsdt).toBeCloseTo(19209.6, 9);
    expect(margins.marginUsdt).toBeCloseTo(1600.8, 9);
  });

  it('measures the planned risk as size × stop distance', () => {
    expect(plannedRiskUsdt(0.192, 100000, 99380)).toBeCloseTo(119.04, 9);
  });

  it('counts a loss of 99 % of the margin as a 100 % loss', () => {
    expect(is100PctLoss(-99, 100)).toBe(true);
    expect(is100PctLoss(-150, 100)).toBe(true);
    expect(is100PctLoss(-98.9, 100)).toBe(false);
  });
});

describe('step 9: risk gate', () => {
  it('refuses while paused', () => {
    expect(
      refusalCodes(planEntry(input({ mode: { paused: true, strategyMode: 'self_learning', grade: 'A', closedTradeCount: 500 } }))),
    ).toEqual(['paused']);
  });

  it('refuses below MIN_WIN_PROBABILITY', () => {
    expect(refusalCodes(planEntry(input({ winProbability: 0.54 })))).toEqual(['min_win_probability']);
  });

  it('refuses below MIN_CONFIDENCE', () => {
    expect(refusalCodes(planEntry(input({ confidence: 0.49 })))).toEqual(['min_confidence']);
  });

  it('refuses a stop so tight that fees eat the edge', () => {
    // At 1x a 0.3 % stop: (0.45 % − 0.1 %) / (0.3 % + 0.1 %) = 0.875 < 1.
    const result = planEntry(input({ baseSlPct: 0.001, winProbability: 0.55 }));
    expect(refusalCodes(result)).toEqual(['min_rr_ratio']);
    expect(planOf(result).feeAdjustedRr).toBeCloseTo(0.875, 9);
  });

  it('computes the fee-adjusted reward:risk', () => {
    expect(feeAdjustedRewardRisk(400, 600, 100000, 0.0005)).toBeCloseTo(1, 9);
  });

  it('refuses at the open-position limit', () => {
    expect(refusalCodes(planEntry(input({ openPositions: 5 })))).toEqual(['position_limit']);
  });

  it('refuses when the margin exceeds the available balance', () => {
    // Budget is capped at 0.5 USDT; the 0.001 BTC minimum needs 100 USDT margin at 1x.
    const result = planEntry(input({ winProbability: 0.55, availableBalanceUsdt: 0.5 }));
    expect(refusalCodes(result)).toEqual(['balance']);
  });

  it('refuses invalid input with a reason', () => {
    const result = planEntry(input({ referencePrice: 0 }));
    expect(refusalCodes(result)).toEqual(['invalid_input']);
    expect(result.ok ? '' : result.refusals[0]?.reason).toMatch(/referencePrice/);
    expect(result.ok ? 'plan' : result.plan).toBeNull();
  });

  it('lists every refusal, not only the first', () => {
    const result = planEntry(
      input({
        confidence: 0.2,
        openPositions: 7,
        mode: { paused: true, strategyMode: 'self_learning', grade: 'A', closedTradeCount: 500 },
      }),
    );
    expect(refusalCodes(result)).toEqual(['paused', 'min_confidence', 'position_limit']);
  });

  it('lets exploration through when only the model thresholds refused', () => {
    const refused = planEntry(input({ winProbability: 0.5, confidence: 0.4 }));
    expect(refusalCodes(refused)).toEqual(['min_win_probability', 'min_confidence']);
    expect(refusedOnlyByModelThresholds(refused.ok ? [] : refused.refusals)).toBe(true);
    expect(planEntry(input({ winProbability: 0.5, confidence: 0.4, exploration: true })).ok).toBe(true);
  });

  it('does not treat other refusals as exploration candidates', () => {
    expect(refusedOnlyByModelThresholds([])).toBe(false);
    expect(
      refusedOnlyByModelThresholds([
        { code: 'min_win_probability', reason: '' },
        { code: 'paused', reason: '' },
      ]),
    ).toBe(false);
  });
});
