import { describe, expect, it } from 'vitest';
import { BINANCE_USDM_LIMITS, RequestBudget } from '../../../src/engine/execution/budget.js';

describe('RequestBudget', () => {
  it('counts weight per calendar minute and resets when the minute rolls', () => {
    const budget = new RequestBudget(BINANCE_USDM_LIMITS);
    budget.charge(100, 0, 59_000);
    expect(budget.usedWeight1m(59_999)).toBe(100);
    expect(budget.usedWeight1m(60_000)).toBe(0);
  });

  it('gives lane 1 more of the weight budget than lanes 2 and 3', () => {
    const budget = new RequestBudget(BINANCE_USDM_LIMITS);
    budget.charge(2_200, 0, 0);
    expect(budget.check(1, 50, 0, 0)).toEqual({ ok: true });
    expect(budget.check(2, 5, 0, 0)).toEqual({ ok: false, resource: 'weight', retryAtMs: 60_000 });
    expect(budget.check(3, 1, 0, 0).ok).toBe(false);
  });

  it('takes the higher of its own count and the header count', () => {
    const budget = new RequestBudget(BINANCE_USDM_LIMITS);
    budget.charge(50, 1, 0);
    budget.observe({ usedWeight1m: 30, orders10s: 7, orders1m: 9 }, 0);
    expect(budget.usedWeight1m(0)).toBe(50);
    expect(budget.orderCount10s(0)).toBe(7);
    expect(budget.orderCount1m(0)).toBe(9);
  });

  it('holds orders at 95 % of 300 per 10 s until the next 10 s window', () => {
    const budget = new RequestBudget(BINANCE_USDM_LIMITS);
    for (let i = 0; i < 285; i++) budget.charge(0, 1, 1_000);
    expect(budget.check(1, 0, 1, 1_000)).toEqual({ ok: false, resource: 'orders', retryAtMs: 10_000 });
    expect(budget.check(1, 0, 1, 10_000)).toEqual({ ok: true });
    expect(budget.check(2, 5, 0, 1_000)).toEqual({ ok: true });
  });
});
