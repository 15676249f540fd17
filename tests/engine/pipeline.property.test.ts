import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bracketFor, decimalsOf, isOnStep, roundPrice, roundToStep, validateOrder } from '../../src/engine/exchange-rules.js';
import { defaultPipelineConfig, leverageRaw, planEntry, slTpFromFill, type PlanInput } from '../../src/engine/pipeline.js';
import { fromTicks } from '../../src/engine/pipeline/steps.js';
import type { LeverageBracket, SymbolRules } from '../../src/engine/types.js';

/** First four brackets of each bundled symbol, copied from data/exchange/leverage-brackets.json. */
const brackets = (rows: readonly (readonly [number, number, number, number, number, number])[]): LeverageBracket[] =>
  rows.map(([bracket, initialLeverage, notionalFloor, notionalCap, maintMarginRatio, cum]) => ({
    bracket,
    initialLeverage,
    notionalFloor,
    notionalCap,
    maintMarginRatio,
    cum,
  }));

const btcLike = brackets([
  [1, 125, 0, 50000, 0.004, 0],
  [2, 100, 50000, 600000, 0.005, 50],
  [3, 75, 600000, 3000000, 0.0065, 950],
  [4, 50, 3000000, 12000000, 0.01, 11450],
]);

/** Filters derived in data/exchange/filters.json; minNotional varied by the generator. */
const symbols: readonly { rules: SymbolRules; price: number }[] = [
  { price: 95000, rules: rules('BTCUSDT', 0.1, 0.001, 0.001, btcLike) },
  { price: 3200, rules: rules('ETHUSDT', 0.01, 0.001, 0.001, btcLike) },
  {
    price: 180,
    rules: rules(
      'SOLUSDT',
      0.001,
      0.01,
      0.01,
      brackets([
        [1, 100, 0, 20000, 0.005, 0],
        [2, 75, 20000, 100000, 0.0065, 30],
        [3, 50, 100000, 800000, 0.01, 380],
        [4, 25, 800000, 4000000, 0.02, 8380],
      ]),
    ),
  },
  {
    price: 2.3,
    rules: rules(
      'XRPUSDT',
      0.0001,
      0.1,
      0.1,
      brackets([
        [1, 75, 0, 10000, 0.005, 0],
        [2, 50, 10000, 20000, 0.0065, 15],
        [3, 40, 20000, 160000, 0.01, 85],
        [4, 25, 160000, 800000, 0.02, 1685],
      ]),
    ),
  },
  {
    price: 0.2,
    rules: rules(
      'DOGEUSDT',
      0.00001,
      1,
      1,
      brackets([
        [1, 75, 0, 10000, 0.005, 0],
        [2, 50, 10000, 50000, 0.007, 20],
        [3, 40, 50000, 750000, 0.01, 170],
        [4, 25, 750000, 800000, 0.02, 7670],
      ]),
    ),
  },
];

function rules(symbol: string, tickSize: number, stepSize: number, minQty: number, rows: LeverageBracket[]): SymbolRules {
  return {
    symbol,
    filters: {
      tickSize,
      stepSize,
      minQty,
      maxQty: null,
      marketStepSize: stepSize,
      marketMinQty: minQty,
      marketMaxQty: null,
      minNotional: null,
    },
    brackets: rows,
  };
}

const planInput: fc.Arbitrary<PlanInput> = fc
  .record({
    symbolIndex: fc.integer({ min: 0, max: symbols.length - 1 }),
    priceFactor: fc.double({ min: 0.2, max: 5, noNaN: true }),
    side: fc.constantFrom('long' as const, 'short' as const),
    baseSlPct: fc.double({ min: 0.0002, max: 0.08, noNaN: true }),
    winProbability: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0.75, max: 1, noNaN: true })),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    exploration: fc.integer({ min: 0, max: 4 }).map((i) => i === 0),
    equityExponent: fc.double({ min: 1.5, max: 7, noNaN: true }),
    availableShare: fc.double({ min: 0.3, max: 1, noNaN: true }),
    openPositions: fc.integer({ min: 0, max: 3 }),
    strategyMode: fc.constantFrom('self_learning' as const, 'self_learning' as const, 'self_learning' as const, 'rules' as const),
    grade: fc.constantFrom('S' as const, 'A' as const, 'B' as const, 'C' as const, null),
    closedTradeCount: fc.oneof({ arbitrary: fc.constant(500), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 300 }), weight: 1 }),
    maxLeverage: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 150 }), weight: 1 }),
    maxOpenPositions: fc.integer({ min: 4, max: 10 }),
    liquidationBufferRate: fc.double({ min: 0, max: 0.03, noNaN: true }),
    minNotional: fc.option(fc.constantFrom(5, 20, 100), { nil: null }),
  })
  .map((g) => {
    const symbol = symbols[g.symbolIndex]!;
    const referencePrice = roundPrice(symbol.price * g.priceFactor, symbol.rules.filters.tickSize, 'nearest');
    const equityUsdt = 10 ** g.equityExponent;
    return {
      symbol: symbol.rules.symbol,
      side: g.side,
      referencePrice,
      baseSlPct: g.baseSlPct,
      winProbability: g.winProbability,
      confidence: g.confidence,
      exploration: g.exploration,
      equityUsdt,
      availableBalanceUsdt: equityUsdt * g.availableShare,
      openPositions: g.openPositions,
      rules: { ...symbol.rules, filters: { ...symbol.rules.filters, minNotional: g.minNotional } },
      mode: { paused: false, strategyMode: g.strategyMode, grade: g.grade, closedTradeCount: g.closedTradeCount },
      config: {
        ...defaultPipelineConfig,
        maxLeverage: g.maxLeverage,
        maxOpenPositions: g.maxOpenPositions,
        liquidationBufferRate: g.liquidationBufferRate,
        // Let tight stops through so the invariants are checked on many plans.
        minRrRatio: 0,
        minWinProbability: 0,
        minConfidence: 0,
      },
    } satisfies PlanInput;
  });

const runs = { numRuns: 400, seed: 20250101 } as const;

describe('planEntry invariants for every plan it accepts', () => {
  it('makes the stop trigger before liquidation, with the buffer', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const result = planEntry(input);
        if (!result.ok) return;
        const { plan } = result;
        const buffer = input.config.liquidationBufferRate * input.referencePrice;
        const slack = input.referencePrice * 1e-9;
        if (input.side === 'long') {
          expect(plan.slPrice).toBeGreaterThan(0);
          expect(plan.slPrice - plan.liquidationPrice).toBeGreaterThanOrEqual(buffer - slack);
        } else {
          expect(plan.liquidationPrice - plan.slPrice).toBeGreaterThanOrEqual(buffer - slack);
        }
      }),
      runs,
    );
  });

  it('puts the size on the step grid and the notional at or above max(10, minNotional)', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const result = planEntry(input);
        if (!result.ok) return;
        const { plan } = result;
        const { filters } = input.rules;
        expect(isOnStep(plan.size, filters.marketStepSize)).toBe(true);
        expect(plan.size).toBeGreaterThanOrEqual(filters.marketMinQty);
        expect(plan.notionalUsdt).toBeGreaterThanOrEqual(Math.max(10, filters.minNotional ?? 0));
        expect(plan.minNotionalUsdt).toBe(Math.max(10, filters.minNotional ?? 0));
      }),
      runs,
    );
  });

  it('puts SL and TP on the tick grid, on the correct sides, with TP = 1.5 × SL within one tick', () => {
    fc.assert(
      fc.property(planInput, fc.integer({ min: -50, max: 50 }), (input, fillTicks) => {
        const result = planEntry(input);
        if (!result.ok) return;
        const { plan } = result;
        const tick = input.rules.filters.tickSize;
        for (const price of [plan.slPrice, plan.tpPrice]) expect(isOnStep(price, tick)).toBe(true);
        expect(isOnStep(plan.slDistance, tick)).toBe(true);
        expect(Math.abs(plan.tpDistance - 1.5 * plan.slDistance)).toBeLessThanOrEqual(tick / 2 + tick * 1e-9);
        expect(plan.slDistance).toBeGreaterThanOrEqual(input.referencePrice * 0.003 - tick * 1e-9);
        const direction = input.side === 'long' ? 1 : -1;
        expect(direction * (plan.tpPrice - plan.referencePrice)).toBeGreaterThan(0);
        expect(direction * (plan.referencePrice - plan.slPrice)).toBeGreaterThan(0);
        // Step 8 from a fill that moved a few ticks: same grid, same sides, same distances.
        const fill = plan.referencePrice + fillTicks * tick;
        const { slPrice, tpPrice } = slTpFromFill(plan, fill);
        expect(isOnStep(slPrice, tick) && isOnStep(tpPrice, tick)).toBe(true);
        expect(Math.abs(direction * (fill - slPrice) - plan.slDistance)).toBeLessThanOrEqual(tick * 1e-6);
        expect(Math.abs(direction * (tpPrice - fill) - plan.tpDistance)).toBeLessThanOrEqual(tick * 1e-6);
      }),
      runs,
    );
  });

  it('applies a whole-number leverage within every ceiling', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const result = planEntry(input);
        if (!result.ok) return;
        const { plan } = result;
        const { config, mode } = input;
        expect(Number.isInteger(plan.leverage)).toBe(true);
        expect(plan.leverage).toBeGreaterThanOrEqual(1);
        expect(plan.leverage).toBeLessThanOrEqual(leverageRaw(input.winProbability, input.confidence) + 1e-9);
        if (mode.closedTradeCount < config.coldStartTrades) expect(plan.leverage).toBeLessThanOrEqual(config.coldStartMaxLeverage);
        if (mode.strategyMode === 'rules') expect(plan.leverage).toBeLessThanOrEqual(config.rulesMaxLeverage);
        if (config.maxLeverage !== null) expect(plan.leverage).toBeLessThanOrEqual(config.maxLeverage);
        if (input.exploration) expect(plan.leverage).toBe(1);
        expect(plan.leverage).toBeLessThanOrEqual(bracketFor(input.rules.brackets, plan.notionalUsdt).initialLeverage);
        expect(plan.notionalUsdt / plan.leverage).toBeLessThanOrEqual(input.availableBalanceUsdt * (1 + 1e-12));
        // Every clamp lowers (or floors) the leverage, and they chain from the raw value to the applied one.
        let current = plan.leverageRaw;
        for (const clamp of plan.leverageClamps) {
          expect(clamp.from).toBeCloseTo(current, 9);
          expect(clamp.to).toBeLessThan(clamp.from);
          current = clamp.to;
        }
        expect(Math.floor(current + 1e-9)).toBe(plan.leverage);
      }),
      runs,
    );
  });

  it('produces entry, stop and target orders the exchange filters accept', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const result = planEntry(input);
        if (!result.ok) return;
        const { plan } = result;
        const { filters } = input.rules;
        const base = { quantity: plan.size, referencePrice: plan.referencePrice };
        expect(validateOrder(filters, { ...base, type: 'market', reduceOnly: false })).toBeNull();
        expect(validateOrder(filters, { ...base, type: 'stop_market', stopPrice: plan.slPrice, reduceOnly: true })).toBeNull();
        expect(validateOrder(filters, { ...base, type: 'limit', price: plan.tpPrice, reduceOnly: true })).toBeNull();
      }),
      runs,
    );
  });
});

describe('roundToStep', () => {
  const steps = fc.constantFrom(1, 0.1, 0.01, 0.001, 0.0001, 0.00001, 0.5, 0.25, 5);
  it('lands on the grid, on the requested side, less than one step away', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), steps, (value, step) => {
        const down = roundToStep(value, step, 'down');
        const up = roundToStep(value, step, 'up');
        const nearest = roundToStep(value, step, 'nearest');
        const tolerance = Math.max(step * 1e-9, Math.abs(value) * 1e-12);
        for (const rounded of [down, up, nearest]) {
          expect(isOnStep(rounded, step)).toBe(true);
          expect(Math.abs(rounded - value)).toBeLessThanOrEqual(step + tolerance);
        }
        expect(down).toBeLessThanOrEqual(value + tolerance);
        expect(up).toBeGreaterThanOrEqual(value - tolerance);
        expect(Math.abs(nearest - value)).toBeLessThanOrEqual(step / 2 + tolerance);
      }),
      { numRuns: 500, seed: 20250102 },
    );
  });
});

describe('prices in whole ticks', () => {
  /** The definition fromTicks replaces: the product written to the tick's decimals and read back. */
  const byString = (ticks: number, tickSize: number): number => {
    const price = Number((ticks * tickSize).toFixed(decimalsOf(tickSize)));
    return Object.is(price, -0) ? 0 : price;
  };

  it('fromTicks gives the same double as the decimal string of ticks × tickSize, for every tick size shape', () => {
    // Binance's tick sizes (1e-5 … 0.1 in data/exchange) and other m × 10^-d shapes (0.5, 0.25, 5e-7, 10, …).
    const tickSize = fc.oneof(
      fc.constantFrom(0.00001, 0.0001, 0.001, 0.01, 0.1, 1, 10, 0.5, 0.25, 0.05, 0.005, 0.0000005),
      fc.tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 0, max: 10 })).map(([m, d]) => Number(`${m}e-${d}`)),
    );
    const ticks = fc.oneof(
      fc.integer({ min: -2_000_000, max: 2_000_000 }),
      fc.integer({ min: -1e12, max: 1e12 }),
      fc.constantFrom(0, 1, -1),
    );
    fc.assert(
      fc.property(ticks, tickSize, (n, size) => {
        expect(Object.is(fromTicks(n, size), byString(n, size))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});
