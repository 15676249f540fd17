import { describe, expect, it } from 'vitest';
import { breakEvenWinProbability, expectedRAfterCosts } from '../../../src/engine/learning/gate.js';

describe('expected-value gate', () => {
  it('computes p × RR − (1 − p) − costs in R', () => {
    // price 100, stop 1 (1 %), TP 1.5, fees 0.05 % × 2, slippage 0.05 %: costs = 0.15 / 1 = 0.15 R.
    const ev = expectedRAfterCosts({
      winProbability: 0.45,
      slDistance: 1,
      tpDistance: 1.5,
      referencePrice: 100,
      takerFeeRate: 0.0005,
      slippageRate: 0.0005,
    });
    expect(ev.rewardRisk).toBe(1.5);
    expect(ev.costsInR).toBeCloseTo(0.15, 12);
    expect(ev.expectedR).toBeCloseTo(0.45 * 1.5 - 0.55 - 0.15, 12);
  });

  it('puts the break-even above the fee-free 40 %, the more so the tighter the stop', () => {
    expect(breakEvenWinProbability(1.5, 0)).toBeCloseTo(0.4, 12);
    expect(breakEvenWinProbability(1.5, 0.15)).toBeCloseTo(0.46, 12);
    const tight = expectedRAfterCosts({
      winProbability: 0.46,
      slDistance: 0.4,
      tpDistance: 0.6,
      referencePrice: 100,
      takerFeeRate: 0.0005,
      slippageRate: 0.0005,
    });
    expect(tight.expectedR).toBeLessThan(0);
  });
});
