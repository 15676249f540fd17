import { describe, expect, it } from 'vitest';
import {
  bracketFor,
  decimalsOf,
  isOnStep,
  isolatedLiquidationPrice,
  maintenanceMarginUsdt,
  maxLeverageFor,
  roundPrice,
  roundQty,
  roundToStep,
  validateOrder,
} from '../../src/engine/exchange-rules.js';
import type { SymbolFilters } from '../../src/engine/types.js';
import { btcBrackets } from './fixtures/brackets.js';

const btcFilters: SymbolFilters = {
  tickSize: 0.1,
  stepSize: 0.001,
  minQty: 0.001,
  maxQty: 1000,
  marketStepSize: 0.001,
  marketMinQty: 0.001,
  marketMaxQty: 120,
  minNotional: 5,
};

describe('decimalsOf', () => {
  it.each([
    [0.1, 1],
    [0.001, 3],
    [0.00001, 5],
    [1e-8, 8],
    [0.5, 1],
    [1, 0],
    [10, 0],
    [0.1 + 0.2, 1],
  ])('counts the decimals of step %s as %i', (step, decimals) => {
    expect(decimalsOf(step)).toBe(decimals);
  });

  it('rejects a step that is not positive', () => {
    expect(() => decimalsOf(0)).toThrow(/positive/);
  });
});

describe('roundToStep', () => {
  it('treats 0.1 + 0.2 as 0.3 on a 0.1 grid in every mode', () => {
    expect(roundToStep(0.1 + 0.2, 0.1, 'down')).toBe(0.3);
    expect(roundToStep(0.1 + 0.2, 0.1, 'up')).toBe(0.3);
    expect(roundToStep(0.1 + 0.2, 0.1, 'nearest')).toBe(0.3);
  });

  it('rounds down, up and to the nearest step', () => {
    expect(roundToStep(123.456, 0.01, 'down')).toBe(123.45);
    expect(roundToStep(123.456, 0.01, 'up')).toBe(123.46);
    expect(roundToStep(123.454, 0.01, 'nearest')).toBe(123.45);
    expect(roundToStep(7, 5, 'down')).toBe(5);
    expect(roundToStep(7, 5, 'up')).toBe(10);
  });

  it('returns values whose step count is an integer within 1e-9', () => {
    for (const [value, step] of [
      [0.123456789, 0.00001],
      [98765.43, 0.1],
      [1234.5678, 0.001],
      [0.7, 0.1],
      [12345678.9, 1],
    ] as const) {
      const rounded = roundToStep(value, step, 'nearest');
      const units = rounded / step;
      expect(Math.abs(units - Math.round(units))).toBeLessThan(1e-9);
      expect(isOnStep(rounded, step)).toBe(true);
    }
  });

  it('keeps an on-grid value unchanged', () => {
    expect(roundPrice(100000.1, 0.1, 'up')).toBe(100000.1);
    expect(roundQty(0.007, 0.001, 'down')).toBe(0.007);
  });

  it('does not return negative zero', () => {
    expect(Object.is(roundToStep(-0.01, 0.1, 'up'), 0)).toBe(true);
  });
});

describe('leverage brackets', () => {
  it('picks the bracket with floor ≤ notional < cap', () => {
    expect(bracketFor(btcBrackets, 0).bracket).toBe(1);
    expect(bracketFor(btcBrackets, 49999.99).bracket).toBe(1);
    expect(bracketFor(btcBrackets, 50000).bracket).toBe(2);
    expect(bracketFor(btcBrackets, 599999).bracket).toBe(2);
    expect(bracketFor(btcBrackets, 600000).bracket).toBe(3);
  });

  it('uses the last bracket above the last cap', () => {
    expect(bracketFor(btcBrackets, 50_000_000).bracket).toBe(4);
    expect(maxLeverageFor(btcBrackets, 50_000_000)).toBe(50);
  });

  it('gives the maximum leverage of the notional', () => {
    expect(maxLeverageFor(btcBrackets, 10_000)).toBe(125);
    expect(maxLeverageFor(btcBrackets, 100_000)).toBe(100);
  });

  it('computes maintenance margin as notional × MMR − cum', () => {
    expect(maintenanceMarginUsdt(100_000, bracketFor(btcBrackets, 100_000))).toBeCloseTo(450, 9);
    expect(maintenanceMarginUsdt(10_000, bracketFor(btcBrackets, 10_000))).toBeCloseTo(40, 9);
  });

  it('refuses an empty bracket table', () => {
    expect(() => bracketFor([], 1)).toThrow(/no leverage brackets/);
  });
});

describe('isolatedLiquidationPrice', () => {
  // Hand computation with BTCUSDT bracket 1 (MMR 0.4 %, cum 0): q = 0.1, EP = 100 000, WB = 1 000 (10x).
  it('matches the hand-computed price of a 10x long', () => {
    // (1000 + 0 − 0.1·100000) / (0.1·0.004 − 0.1) = −9000 / −0.0996
    const lp = isolatedLiquidationPrice({ side: 'long', size: 0.1, entryPrice: 100000, isolatedMarginUsdt: 1000, brackets: btcBrackets });
    expect(lp).toBeCloseTo(9000 / 0.0996, 9);
    expect(lp).toBeCloseTo(90361.44578313253, 6);
  });

  it('matches the hand-computed price of a 10x short', () => {
    // (1000 + 0 + 0.1·100000) / (0.1·0.004 + 0.1) = 11000 / 0.1004
    const lp = isolatedLiquidationPrice({ side: 'short', size: 0.1, entryPrice: 100000, isolatedMarginUsdt: 1000, brackets: btcBrackets });
    expect(lp).toBeCloseTo(11000 / 0.1004, 9);
  });

  it('returns 0 for a 1x long, which cannot be liquidated', () => {
    expect(
      isolatedLiquidationPrice({ side: 'long', size: 0.1, entryPrice: 100000, isolatedMarginUsdt: 10000, brackets: btcBrackets }),
    ).toBe(0);
  });

  it('uses bracket 2 with its cum for a notional inside bracket 2', () => {
    // q = 1, EP = 100 000 (notional 100 000), WB = 1 000: (1000 + 50 − 100000) / (0.005 − 1)
    const lp = isolatedLiquidationPrice({ side: 'long', size: 1, entryPrice: 100000, isolatedMarginUsdt: 1000, brackets: btcBrackets });
    expect(lp).toBeCloseTo(98950 / 0.995, 9);
  });

  it('switches to the bracket of the notional at the liquidation price', () => {
    // Entry notional 50 500 is in bracket 2, but at the liquidation price (~90 361) it is in bracket 1.
    const lp = isolatedLiquidationPrice({ side: 'long', size: 0.505, entryPrice: 100000, isolatedMarginUsdt: 5050, brackets: btcBrackets });
    expect(lp).toBeCloseTo((50500 - 5050) / (0.505 - 0.505 * 0.004), 9);
  });
});

describe('validateOrder', () => {
  const market = { type: 'market' as const, quantity: 0.01, reduceOnly: false, referencePrice: 100000 };

  it('accepts an order that meets every filter', () => {
    expect(validateOrder(btcFilters, market)).toBeNull();
    expect(validateOrder(btcFilters, { ...market, type: 'limit', price: 100000.1 })).toBeNull();
    expect(validateOrder(btcFilters, { ...market, type: 'stop_market', stopPrice: 99000.5, reduceOnly: true })).toBeNull();
  });

  it('accepts a computed quantity that is on the grid up to float noise', () => {
    expect(validateOrder(btcFilters, { ...market, quantity: 0.001 * 7 })).toBeNull();
  });

  it('rejects a price off the tick grid with -1111', () => {
    const rejection = validateOrder(btcFilters, { ...market, type: 'limit', price: 100000.05 });
    expect(rejection).toEqual({ code: '-1111', message: 'Precision is over the maximum defined for this asset.' });
  });

  it('rejects a quantity off the step grid with -1111', () => {
    expect(validateOrder(btcFilters, { ...market, quantity: 0.0105 })?.code).toBe('-1111');
  });

  it('rejects a price with the right decimals that is not a tick multiple with -4014', () => {
    const halfTick = { ...btcFilters, tickSize: 0.5 };
    expect(validateOrder(halfTick, { ...market, type: 'limit', price: 100000.1 })).toEqual({
      code: '-4014',
      message: 'Price not increased by tick size.',
    });
  });

  it('rejects a zero quantity with -4003', () => {
    expect(validateOrder(btcFilters, { ...market, quantity: 0 })?.code).toBe('-4003');
  });

  it('rejects a missing limit price with -1102', () => {
    expect(validateOrder(btcFilters, { ...market, type: 'limit' })?.code).toBe('-1102');
    expect(validateOrder(btcFilters, { ...market, type: 'stop_market' })?.code).toBe('-1102');
  });

  it('rejects a quantity below minQty with -4004 and above maxQty with -4005', () => {
    const filters = { ...btcFilters, minQty: 0.01, marketMinQty: 0.01 };
    expect(validateOrder(filters, { ...market, quantity: 0.005 })).toEqual({
      code: '-4004',
      message: 'Quantity less than min quantity.',
    });
    expect(validateOrder(btcFilters, { ...market, quantity: 121 })).toEqual({
      code: '-4005',
      message: 'Quantity greater than max quantity.',
    });
  });

  it('uses MARKET_LOT_SIZE for market orders and LOT_SIZE for limit orders', () => {
    // 500 is within LOT_SIZE max (1000) but above MARKET_LOT_SIZE max (120).
    expect(validateOrder(btcFilters, { ...market, quantity: 500 })?.code).toBe('-4005');
    expect(validateOrder(btcFilters, { ...market, type: 'limit', price: 100000, quantity: 500 })).toBeNull();
  });

  it('rejects a notional below minNotional with -4164 unless the order is reduce-only', () => {
    const tiny = { ...market, quantity: 0.001, referencePrice: 4000 };
    expect(validateOrder(btcFilters, tiny)).toEqual({
      code: '-4164',
      message: "Order's notional must be no smaller than 5.0 (unless you choose reduce only).",
    });
    expect(validateOrder(btcFilters, { ...tiny, reduceOnly: true })).toBeNull();
  });

  it('skips the notional check when minNotional is unknown', () => {
    expect(validateOrder({ ...btcFilters, minNotional: null }, { ...market, quantity: 0.001, referencePrice: 1 })).toBeNull();
  });
});
