import { describe, expect, it } from 'vitest';
import { actionOf, gradeOf, interpolate, payoffRatio, scoreModel, SCORE_DIMENSIONS } from '../../src/engine/evaluator.js';
import { MIDNIGHT, WINDOW_FROM, goldenTrades, tradeRecord } from '../reports/golden-trades.js';

const input = (trades = goldenTrades(), over: Partial<Parameters<typeof scoreModel>[0]> = {}) => ({
  trades,
  windowToMs: MIDNIGHT,
  windowDays: 7,
  minTrades: 20,
  startingEquityUsdt: 1000,
  ...over,
});

const points = (score: ReturnType<typeof scoreModel>) => Object.fromEntries(score.dimensions.map((d) => [d.key, d.points]));

describe('model evaluator', () => {
  it('weights the six dimensions 20/20/20/15/15/10', () => {
    expect(SCORE_DIMENSIONS.map((d) => [d.key, d.weight])).toEqual([
      ['rr', 20],
      ['win_rate', 20],
      ['ev', 20],
      ['max_drawdown', 15],
      ['sharpe', 15],
      ['frequency', 10],
    ]);
  });

  it('scores the golden trade set 94, grade S (hand-checked)', () => {
    const score = scoreModel(input());
    /*
     * By hand: 21 scored trades (exploration, the 22nd and the next midnight left out).
     *  R:R      mean win 15 / mean loss 10 = 1.5               → 0.8 × 20 = 16
     *  win rate 12/21 = 0.571429 → 0.7 + 0.3 × 0.071429/0.1    → 0.914286 × 20 = 18.29
     *  EV       (12 × 1.5R − 9 × 1R)/21 = 0.428571R ≥ 0.4      → 20
     *  MDD      peak 1080 (26th) → 1050 (27th): 30/1080 = 0.027778
     *           → 1 − 0.2 × 0.007778/0.03 = 0.948148 × 15      → 14.22
     *  Sharpe   daily returns 20/1000, −5/1020, 20/1015, 45/1035, −30/1080, 20/1050, 20/1070:
     *           mean 0.012606, sample sd 0.022634 → × √365 = 10.64 ≥ 3 → 15
     *  frequency 21/7 = 3 a day                                 → 10
     *  sum 93.51, no 100 % loss → 94 → S
     */
    expect(points(score)).toEqual({ rr: 16, win_rate: 18.29, ev: 20, max_drawdown: 14.22, sharpe: 15, frequency: 10 });
    expect(score.rawPoints).toBe(93.51);
    expect(score.penaltyPoints).toBe(0);
    expect(score.score).toBe(94);
    expect(score.grade).toBe('S');
    expect(score.action).toBe('size_multiplier');
    expect(score.trades).toBe(21);
    expect(score.enoughTrades).toBe(true);
    expect(score.windowFromMs).toBe(WINDOW_FROM);
    const value = Object.fromEntries(score.dimensions.map((d) => [d.key, d.value]));
    expect(value['rr']).toBeCloseTo(1.5, 12);
    expect(value['win_rate']).toBeCloseTo(12 / 21, 12);
    expect(value['ev']).toBeCloseTo(9 / 21, 12);
    expect(value['max_drawdown']).toBeCloseTo(30 / 1080, 12);
    expect(value['sharpe']).toBeCloseTo(10.64005, 4);
    expect(value['frequency']).toBe(3);
  });

  it('scores the same pattern with 8.5 USDT wins 69, grade C (hand-checked)', () => {
    const score = scoreModel(input(goldenTrades(8.5)));
    /*
     * By hand (same trades, wins of 8.5 USDT = 0.85R):
     *  R:R      0.85 → 0.4 × (0.85 − 0.5)/0.5 = 0.28 × 20                 → 5.6
     *  win rate 12/21, as above                                          → 18.29
     *  EV       (12 × 0.85 − 9)/21 = 0.057143R → 0.4 + 0.4 × 0.285714     → 0.514286 × 20 = 10.29
     *  MDD      peak 1028 (26th) → 996.5 (28th, after a loss): 31.5/1028 = 0.030642
     *           → 0.8 + 0.2 × (0.05 − 0.030642)/0.03 = 0.929053 × 15     → 13.94
     *  Sharpe   returns 7/1000, −11.5/1007, 7/995.5, 25.5/1002.5, −30/1028, 7/998, 7/1005
     *           → 2.023015 → 0.75 + 0.25 × 0.023015 = 0.755754 × 15        → 11.34
     *  frequency 3 a day                                                  → 10
     *  sum 69.46 → 69 → C
     */
    expect(points(score)).toEqual({ rr: 5.6, win_rate: 18.29, ev: 10.29, max_drawdown: 13.94, sharpe: 11.34, frequency: 10 });
    expect(score.score).toBe(69);
    expect(score.grade).toBe('C');
    expect(score.action).toBe('rules_mode');
    expect(score.rawPoints).toBeCloseTo(69.46, 10);
  });

  it('takes 15 points per 100 % loss, and clamps at 0', () => {
    const trades = goldenTrades().map((t) => (t.id === 'g40' ? { ...t, is100PctLoss: true, liquidated: true } : t));
    const score = scoreModel(input(trades));
    expect(score.penaltyPoints).toBe(15);
    expect(score.score).toBe(Math.round(93.51 - 15));
    const ruined = Array.from({ length: 8 }, (_, i) =>
      tradeRecord({ id: `r${i}`, closedAt: WINDOW_FROM + i * 3_600_000, pnlUsdt: -200, is100PctLoss: true }),
    );
    expect(scoreModel(input(ruined)).score).toBe(0);
  });

  it('scores an empty window 0, flagged not enough trades', () => {
    const score = scoreModel(input([]));
    expect(score.score).toBe(0);
    expect(score.grade).toBe('C');
    expect(score.enoughTrades).toBe(false);
    expect(score.dimensions.every((d) => d.points === 0)).toBe(true);
  });

  it('still computes the score with fewer than the minimum trades', () => {
    const score = scoreModel(input(goldenTrades(), { minTrades: 22 }));
    expect(score.score).toBe(94);
    expect(score.enoughTrades).toBe(false);
  });

  it('leaves exploration trades out of the score', () => {
    const withBigExploration = [...goldenTrades(), tradeRecord({ id: 'x2', closedAt: MIDNIGHT - 1000, pnlUsdt: -500, exploration: true })];
    expect(scoreModel(input(withBigExploration))).toEqual(scoreModel(input()));
  });

  it('grades at 90, 80 and 70 exactly', () => {
    expect([100, 90, 89, 80, 79, 70, 69, 0].map(gradeOf)).toEqual(['S', 'S', 'A', 'A', 'B', 'B', 'C', 'C']);
    expect((['S', 'A', 'B', 'C'] as const).map(actionOf)).toEqual(['size_multiplier', 'maintain', 'observe', 'rules_mode']);
  });

  it('interpolates linearly and is flat outside the breakpoints', () => {
    const map = [
      { x: 0, share: 0 },
      { x: 1, share: 0.5 },
      { x: 3, share: 1 },
    ];
    expect(interpolate(map, -5)).toBe(0);
    expect(interpolate(map, 0.5)).toBe(0.25);
    expect(interpolate(map, 2)).toBe(0.75);
    expect(interpolate(map, 9)).toBe(1);
  });

  it('gives full R:R points to winners without a loser, none to losers without a winner', () => {
    const wins = Array.from({ length: 3 }, (_, i) => tradeRecord({ id: `w${i}`, closedAt: WINDOW_FROM + i * 60_000, pnlUsdt: 5 }));
    expect(payoffRatio(wins)).toBeNull();
    expect(scoreModel(input(wins)).dimensions[0]!.points).toBe(20);
    const losses = wins.map((t) => ({ ...t, pnlUsdt: -5 }));
    expect(scoreModel(input(losses)).dimensions[0]!.points).toBe(0);
  });

  it('refuses a window that is not a whole number of days', () => {
    expect(() => scoreModel(input(goldenTrades(), { windowDays: 0 }))).toThrow(/windowDays/);
  });
});
