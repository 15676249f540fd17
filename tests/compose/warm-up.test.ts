/**
 * Warm-up after a (re)start: enough candles for the model's features (24 h of 5m candles), so
 * a restarted bot scores signals right away; live in one klines request of weight 2, replay
 * from the history before the resume point.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { bundledDataDir, loadExchangeRules, loadMarketHistory } from '../../src/adapters/data/index.js';
import { ENGINE_WARMUP_CANDLES, warmUpOnHistory, wireMarketData } from '../../src/compose/market-data.js';
import { loadConfig } from '../../src/config.js';
import { costOf } from '../../src/engine/execution/weights.js';
import { LaneScheduler } from '../../src/engine/execution/scheduler.js';
import { CANDLE_CONTEXT_WARMUP } from '../../src/engine/learning/features.js';
import { SignalLearner } from '../../src/engine/learning/learner.js';
import { LearningPredictor, type ModelSource } from '../../src/engine/learning/predictor.js';
import { defaultPipelineConfig } from '../../src/engine/pipeline/config.js';
import { RuleBasedSignalGenerator } from '../../src/engine/signals.js';
import { Trader } from '../../src/engine/trader.js';
import { defaultTraderConfig } from '../../src/engine/trader/context.js';
import type { Candle } from '../../src/engine/types.js';
import { silentLogger } from '../../src/logger.js';
import { startFakeBinance, type FakeBinance } from '../fakes/fake-binance.js';

/** The learning side as the Trader feeds it (observe → onCandle), recording what it saw. */
class LearnerSource implements ModelSource {
  readonly hasModel = false;
  readonly learner = new SignalLearner({ timeStopMs: 86_400_000, roundTripFeeRate: 0.001 });
  readonly seen: Candle[] = [];
  predict(): null {
    return null;
  }
  onCandle(symbol: string, candle: Candle): void {
    this.seen.push(candle);
    this.learner.onCandle(symbol, candle);
  }
  /** Can the model score a signal on the last candle fed? */
  canScore(symbol: string): boolean {
    const generator = new RuleBasedSignalGenerator();
    for (const c of this.seen) generator.update(c);
    const features = generator.lastFeatures;
    if (features === null) return false;
    return this.learner.vectorFor(symbol, { side: 'long', rule: 'breakout', features }) !== null;
  }
}

function traderWith(source: LearnerSource): Trader {
  const rules = loadExchangeRules(bundledDataDir(), ['BTCUSDT']);
  return new Trader(
    defaultTraderConfig(['BTCUSDT'], defaultPipelineConfig),
    {
      exchange: {} as never,
      clock: new ManualClock(0),
      logger: silentLogger,
      rules,
      persist: async () => undefined,
      recordTrade: async () => undefined,
      predictor: new LearningPredictor(source),
    },
    'self_learning',
  );
}

describe('warm-up after a restart', () => {
  it("covers the model's features (24 h of candles) in one klines request of weight 2", () => {
    expect(ENGINE_WARMUP_CANDLES).toBeGreaterThanOrEqual(300);
    expect(ENGINE_WARMUP_CANDLES).toBeGreaterThan(CANDLE_CONTEXT_WARMUP);
    expect(costOf('GET /fapi/v1/klines', { symbol: 'BTCUSDT', limit: ENGINE_WARMUP_CANDLES }).weight).toBe(2);
  });

  it('replay resume: the model can score the very next candle after the resume point', async () => {
    const history = await loadMarketHistory(bundledDataDir(), ['BTCUSDT']);
    const candles = history.get('BTCUSDT')!.candles;
    const resumeAfter = candles[2000]!.timestamp;
    const source = new LearnerSource();
    const startAfter = warmUpOnHistory(traderWith(source), ['BTCUSDT'], history, { BTCUSDT: resumeAfter });
    expect(startAfter['BTCUSDT']).toBe(resumeAfter);
    expect(source.seen).toHaveLength(ENGINE_WARMUP_CANDLES);
    expect(source.seen.at(-1)!.timestamp).toBe(resumeAfter);
    expect(source.canScore('BTCUSDT')).toBe(true);
    // The old warm-up (the rule features' 110 + 10 candles) could not.
    const short = new LearnerSource();
    for (const c of candles.slice(2001 - 120, 2001)) short.onCandle('BTCUSDT', c);
    expect(short.canScore('BTCUSDT')).toBe(false);
  });

  describe('live data', () => {
    let fake: FakeBinance | null = null;
    let scheduler: LaneScheduler | null = null;
    afterEach(async () => {
      scheduler?.stop();
      await fake?.close();
    });

    it('warms up from one klines request with limit ≥ 300: the model can score right after start', async () => {
      const now = Date.UTC(2025, 5, 2, 12, 0, 10);
      const clock = new ManualClock(now);
      fake = await startFakeBinance({ now: () => clock.now(), klineHistoryStartMs: now - 30 * 86_400_000 });
      scheduler = new LaneScheduler({ clock, logger: silentLogger });
      const config = loadConfig({ MARKET_DATA: 'live', EXCHANGE_API_BASE: fake.url, SYMBOLS: 'BTCUSDT' });
      const source = new LearnerSource();
      const wired = await wireMarketData(config, {
        history: null,
        trader: traderWith(source),
        paper: null,
        lastCandleAt: {},
        scheduler,
        wallClock: clock,
        logger: silentLogger,
      });
      wired.stop();
      (wired.marketData as { stop?: () => void }).stop?.();
      const klines = fake.requests.filter((r) => r.path === '/fapi/v1/klines');
      expect(klines).toHaveLength(1);
      expect(Number(klines[0]!.query['limit'])).toBeGreaterThanOrEqual(300);
      expect(source.seen).toHaveLength(ENGINE_WARMUP_CANDLES);
      expect(source.canScore('BTCUSDT')).toBe(true);
    });
  });
});
