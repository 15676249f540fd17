/**
 * Model exits (POSITION_CONTROL_MODE=self_learning): the promoted model re-scores an open
 * position's side on the last closed candle and closes it ('model') when p falls below
 * MIN_WIN_PROBABILITY. Never in rules mode, without a promoted model, for exploration or
 * adopted positions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelExitAdvisor, type OpenPositionScorer } from '../../../src/engine/learning/exit-advisor.js';
import { LearningPredictor } from '../../../src/engine/learning/predictor.js';
import type { ModelPrediction } from '../../../src/engine/learning/service.js';
import type { Features } from '../../../src/engine/features.js';
import type { ManagedPosition } from '../../../src/engine/ports.js';
import type { ExitAdviceRequest } from '../../../src/engine/trader.js';
import type { Candle, Side } from '../../../src/engine/types.js';
import { CANDLE_MS, TraderHarness, loadBtcCandles } from '../helpers/trader-harness.js';

class FakeScorer implements OpenPositionScorer {
  hasModel = true;
  winProbability = 0.6;
  asked: { symbol: string; side: Side; rule: string; features: Features }[] = [];
  scoreOpen(symbol: string, side: Side, rule: 'trend_pullback' | 'breakout' | 'mean_reversion', features: Features): ModelPrediction {
    this.asked.push({ symbol, side, rule, features });
    return { winProbability: this.winProbability, confidence: 0.5, modelVersion: 'm-1', confidenceRanks: false };
  }
  predict(): ModelPrediction | null {
    return null;
  }
}

const features = { atrRate: 0.004, rsi: 50 } as unknown as Features;
const position = (over: Partial<ManagedPosition> = {}): ManagedPosition =>
  ({ symbol: 'BTCUSDT', side: 'short', rule: 'breakout', exploration: false, adopted: false, ...over }) as ManagedPosition;
const request = (over: Partial<ExitAdviceRequest> = {}): ExitAdviceRequest => ({
  position: position(),
  onExchange: {} as never,
  now: 0,
  modeLabel: 'self_learning',
  features,
  ...over,
});

describe('ModelExitAdvisor', () => {
  it("exits ('model') when the promoted model's p for the position's side falls below MIN_WIN_PROBABILITY", () => {
    const scorer = new FakeScorer();
    const advisor = new ModelExitAdvisor(scorer, 0.55);
    expect(advisor.adviseExit(request())).toBeNull();
    expect(scorer.asked[0]).toMatchObject({ symbol: 'BTCUSDT', side: 'short', rule: 'breakout', features });
    scorer.winProbability = 0.549;
    expect(advisor.adviseExit(request())).toBe('model');
    scorer.winProbability = 0.55;
    expect(advisor.adviseExit(request())).toBeNull();
  });

  it('never exits in a rules mode, without a promoted model, for exploration or adopted positions, or while warming up', () => {
    const scorer = new FakeScorer();
    scorer.winProbability = 0.1;
    const advisor = new ModelExitAdvisor(scorer, 0.55);
    for (const modeLabel of ['rules', 'rules (grade C)', 'rules (no model yet)'])
      expect(advisor.adviseExit(request({ modeLabel }))).toBeNull();
    expect(advisor.adviseExit(request({ position: position({ exploration: true }) }))).toBeNull();
    expect(advisor.adviseExit(request({ position: position({ adopted: true }) }))).toBeNull();
    expect(advisor.adviseExit(request({ position: position({ rule: 'adopted' }) }))).toBeNull();
    expect(advisor.adviseExit(request({ features: null }))).toBeNull();
    scorer.hasModel = false;
    expect(advisor.adviseExit(request())).toBeNull();
    expect(scorer.asked).toHaveLength(0);
    expect(() => new ModelExitAdvisor(scorer, 55)).toThrow(/0–1/);
  });
});

describe('model exits in the Trader (POSITION_CONTROL_MODE=self_learning)', () => {
  let candles: Candle[];
  beforeAll(async () => {
    candles = await loadBtcCandles(400);
  });

  /** A Trader warmed up on real candles, a promoted model (predictor says ready), the model-exit advisor. */
  async function rig(mode: 'self_learning' | 'rules', grade: 'C' | null = null) {
    const scorer = new FakeScorer();
    const predictor = new LearningPredictor({ hasModel: true, predict: () => null });
    const h = new TraderHarness({ trader: { explorationRate: 0 }, plugs: { predictor, exitAdvisor: new ModelExitAdvisor(scorer, 0.55) } });
    h.trader.setStrategyMode(mode);
    if (grade !== null) h.trader.setGrade(grade);
    h.trader.warmUp('BTCUSDT', candles.slice(0, 300));
    const last = candles[299]!;
    h.clock.set(last.timestamp + CANDLE_MS);
    await h.openPosition({ side: 'long', price: last.close, rule: 'trend_pullback' });
    return { h, scorer, price: last.close };
  }

  it("closes the position with exit reason 'model' once the model's p drops, scoring the last candle's features", async () => {
    const { h, scorer, price } = await rig('self_learning');
    scorer.winProbability = 0.6;
    await h.tick();
    expect(h.trades()).toHaveLength(0);
    expect(scorer.asked.at(-1)).toMatchObject({ side: 'long', rule: 'trend_pullback' });
    expect(scorer.asked.at(-1)!.features.atrRate).toBeGreaterThan(0);
    scorer.winProbability = 0.4;
    await h.tick();
    h.price('BTCUSDT', price);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['model']);
  });

  it('does not close on the model in rules mode or at grade C (pure rules mode)', async () => {
    for (const [mode, grade] of [
      ['rules', null],
      ['self_learning', 'C'],
    ] as const) {
      const { h, scorer } = await rig(mode, grade);
      scorer.winProbability = 0.1;
      await h.tick();
      await h.tick();
      expect(h.trades()).toHaveLength(0);
      expect(h.trader.managedPositions()).toHaveLength(1);
      expect(scorer.asked).toHaveLength(0);
    }
  });
});
