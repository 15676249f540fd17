/**
 * A refused signal on a venue read without requests (the paper exchange) is settled at once:
 * `onCandles` returns NOTHING_TO_DO, with the same refusals, in the same order, as on a venue
 * that must be asked (every read a request).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { bundledDataDir, dataLayout, loadExchangeRules, readCandles } from '../../src/adapters/data/index.js';
import { PaperExchange } from '../../src/adapters/paper/index.js';
import { defaultPipelineConfig } from '../../src/engine/pipeline.js';
import type { Exchange } from '../../src/engine/ports.js';
import { NOTHING_TO_DO, Trader, defaultTraderConfig, type TraderEvent } from '../../src/engine/trader.js';
import { CANDLE_MS } from '../../src/engine/types.js';
import { silentLogger } from '../../src/logger.js';
import { RecordingExchange } from './helpers/recording-exchange.js';

async function replaySignals(readsAtOnce: boolean) {
  const dir = bundledDataDir();
  const candles = (await readCandles(dataLayout(dir).files('BTCUSDT').candles)).candles.slice(0, 6000);
  const rules = loadExchangeRules(dir, ['BTCUSDT']);
  const clock = new ManualClock(candles[0]!.timestamp);
  const paper = new PaperExchange({ rules, clock, logger: silentLogger, startingBalanceUsdt: 1000, slippageRate: 0, funding: new Map() });
  const exchange: Exchange = readsAtOnce ? paper : new RecordingExchange(paper, clock);
  const events: TraderEvent[] = [];
  // Every signal refused: a win probability nobody reaches, and no exploration.
  const trader = new Trader(
    { ...defaultTraderConfig(['BTCUSDT'], { ...defaultPipelineConfig, minWinProbability: 0.99 }), explorationRate: 0 },
    {
      exchange,
      clock,
      logger: silentLogger,
      rules,
      persist: async () => undefined,
      recordTrade: async () => undefined,
      onEvent: (e) => events.push(e),
    },
    'rules',
  );
  let waited = 0;
  for (const candle of candles) {
    clock.set(candle.timestamp + CANDLE_MS);
    const decided = trader.onCandles([{ symbol: 'BTCUSDT', candle, mark: null }]);
    if (decided !== NOTHING_TO_DO) waited++;
    await decided;
  }
  return { events, waited, orders: paper.openOrdersNow().length + paper.positionsNow().length };
}

describe('entry screen', () => {
  it('settles refused signals without waiting on the paper venue, with the same refusals as a venue that is asked', async () => {
    const atOnce = await replaySignals(true);
    const asked = await replaySignals(false);
    const refused = atOnce.events.filter((e) => e.kind === 'refused');
    expect(refused.length).toBeGreaterThan(50);
    expect(atOnce.waited).toBe(0);
    expect(asked.waited).toBeGreaterThan(50);
    expect(atOnce.events).toEqual(asked.events);
    expect(atOnce.orders).toBe(0);
  });
});
