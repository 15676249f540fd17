import { describe, expect, it } from 'vitest';
import {
  defaultPipelineConfig,
  leverageRaw,
  planEntry,
  refusedOnlyByModelThresholds,
  type PlanInput,
  type PlanResult,
} from '../../../src/engine/pipeline.js';
import { btcRules as rules } from '../fixtures/brackets.js';

/** BTC at 100 000, 1 % base stop, a promoted model's prediction, after cold start. */
const input = (overrides: Partial<PlanInput> = {}): PlanInput => ({
  symbol: 'BTCUSDT',
  side: 'long',
  referencePrice: 100_000,
  baseSlPct: 0.01,
  winProbability: 0.7,
  confidence: 0.9,
  exploration: false,
  equityUsdt: 10_000,
  availableBalanceUsdt: 10_000,
  openPositions: 0,
  rules,
  mode: { paused: false, strategyMode: 'self_learning', grade: 'A', closedTradeCount: 500 },
  config: defaultPipelineConfig,
  model: { confidenceRanks: true },
  ...overrides,
});
const codes = (r: PlanResult): string[] => (r.ok ? [] : r.refusals.map((x) => x.code));
const plan = (r: PlanResult) => r.plan!;

describe('expected-value gate (step 9, promoted model)', () => {
  it('records expected R after costs on the plan and passes a positive one', () => {
    const r = planEntry(input());
    expect(r.ok).toBe(true);
    const p = plan(r);
    const costs = ((2 * 0.0005 + 0.0005) * 100_000) / p.slDistance;
    expect(p.expectedR).toBeCloseTo(0.7 * (p.tpDistance / p.slDistance) - 0.3 - costs, 9);
  });

  it('refuses p × RR − (1 − p) − costs ≤ MIN_EXPECTED_R, and that refusal is one exploration may take', () => {
    const r = planEntry(input({ winProbability: 0.56, config: { ...defaultPipelineConfig, minExpectedR: 0.5 } }));
    expect(codes(r)).toEqual(['expected_value']);
    expect(refusedOnlyByModelThresholds(r.ok ? [] : r.refusals)).toBe(true);
    const explored = planEntry(input({ winProbability: 0.56, exploration: true, config: { ...defaultPipelineConfig, minExpectedR: 0.5 } }));
    expect(explored.ok).toBe(true);
    expect(plan(explored).leverage).toBe(1);
  });

  it('does not apply without a promoted model (rule statistics), and expectedR is null then', () => {
    const { model: _m, ...withoutModel } = input({ winProbability: 0.56, config: { ...defaultPipelineConfig, minExpectedR: 0.5 } });
    const r = planEntry(withoutModel);
    expect(codes(r)).not.toContain('expected_value');
    expect(plan(r).expectedR).toBeNull();
  });
});

describe('confidence that does not rank', () => {
  it('may not raise leverage: a recorded confidence clamp, leverageRaw stays the blueprint formula', () => {
    const r = planEntry(input({ winProbability: 0.7, confidence: 0.9, model: { confidenceRanks: false } }));
    const p = plan(r);
    expect(p.leverageRaw).toBeCloseTo(leverageRaw(0.7, 0.9), 9);
    expect(p.leverageClamps[0]).toMatchObject({ step: 'confidence', from: leverageRaw(0.7, 0.9), to: leverageRaw(0.7, 0) });
    expect(p.leverage).toBe(12); // p 0.7 alone gives 12x; confidence 0.9 would have made it 21.6x
    const ranking = plan(planEntry(input({ winProbability: 0.7, confidence: 0.9, model: { confidenceRanks: true } })));
    expect(ranking.leverage).toBe(21);
    expect(ranking.leverageClamps.some((c) => c.step === 'confidence')).toBe(false);
  });
});

describe('cold start', () => {
  it('caps leverage at 10x during the first 100 closed trades, whatever the model says', () => {
    for (const closedTradeCount of [0, 50, 99]) {
      const p = plan(
        planEntry(
          input({
            winProbability: 0.9,
            confidence: 1,
            mode: { paused: false, strategyMode: 'self_learning', grade: 'A', closedTradeCount },
          }),
        ),
      );
      expect(p.leverage).toBeLessThanOrEqual(10);
      expect(p.leverageClamps.some((c) => c.step === 'cold_start')).toBe(true);
    }
    const after = plan(planEntry(input({ winProbability: 0.9, confidence: 1 })));
    expect(after.leverage).toBeGreaterThan(10);
  });
});
