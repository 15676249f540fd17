/**
 * Live market data is idempotent (issue 9, "A candle that arrives twice stops the process"):
 * real ccxt against the fake Binance; the consumer is the engine's signal generator, which
 * throws a RangeError on a candle that is not after the previous one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../../../src/adapters/clock.js';
import { LiveMarketData } from '../../../src/adapters/market-data/live.js';
import { CANDLE_MS } from '../../../src/engine/types.js';
import { LaneScheduler } from '../../../src/engine/execution/scheduler.js';
import type { ClosedCandle } from '../../../src/engine/ports.js';
import { RuleBasedSignalGenerator } from '../../../src/engine/signals.js';
import { MemoryLogger } from '../../../src/logger.js';
import { startFakeBinance, type FakeBinance } from '../../fakes/fake-binance.js';

const T1200 = Date.UTC(2025, 5, 2, 12, 0, 0);

let clock: ManualClock;
let fake: FakeBinance;
let scheduler: LaneScheduler;
let live: LiveMarketData;
let logger: MemoryLogger;

beforeEach(async () => {
  // One second after the 12:00 boundary: the warm-up lands inside the poll delay.
  clock = new ManualClock(T1200 + 1_000);
  fake = await startFakeBinance({ now: () => clock.now(), klineHistoryStartMs: T1200 - 30 * 86_400_000 });
  logger = new MemoryLogger();
  scheduler = new LaneScheduler({ clock, logger });
  live = new LiveMarketData({
    symbols: ['BTCUSDT', 'ETHUSDT'],
    scheduler,
    clock,
    logger,
    apiBase: fake.url,
    timeoutMs: 1_000,
    pollDelayMs: 2_000,
    pollRetries: 1,
    retryDelayMs: 2_000,
    tickerIntervalMs: 0,
  });
});

afterEach(async () => {
  live.stop();
  scheduler.stop();
  await fake.close();
});

/** Waits (bounded) until `check` holds, letting the manual clock's timers and HTTP replies run. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The engine's signal generators, warmed on live.history() like the composition root does. */
async function warmedGenerators(): Promise<Map<string, RuleBasedSignalGenerator>> {
  const generators = new Map<string, RuleBasedSignalGenerator>();
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    const generator = new RuleBasedSignalGenerator();
    for (const candle of await live.history(symbol, 300, clock.now())) generator.update(candle);
    generators.set(symbol, generator);
  }
  return generators;
}

describe('live market data feeds each closed candle once', () => {
  it('drops the warm-up’s last candle when the first poll returns it again, and goes on with the next one', async () => {
    const generators = await warmedGenerators();
    const fed: string[] = [];
    const failures: unknown[] = [];
    const running = live.run(async (batch) => {
      for (const { symbol, candle } of batch) {
        try {
          generators.get(symbol)?.update(candle);
          fed.push(`${symbol}@${candle.timestamp}`);
        } catch (error) {
          failures.push(error);
        }
      }
    });
    // The poll 2 s after 12:00 sees the 11:55 candle the warm-up already had.
    clock.set(T1200 + 2_000);
    await until(() => fake.requests.filter((r) => r.path === '/fapi/v1/klines').length >= 4, 'the first poll');
    await until(() => clock.pendingTimers() > 0, 'run() to wait again');
    // Complete as far as it goes (the warm-up counts as seen): no retry, nothing fed.
    expect(fake.requests.filter((r) => r.path === '/fapi/v1/klines')).toHaveLength(4);
    expect(fed).toEqual([]);
    // The 12:00 candle closes at 12:05: fed once, for both symbols.
    await until(() => clock.pendingTimers() > 0, 'run() to wait for the next boundary');
    clock.set(T1200 + CANDLE_MS + 2_000);
    await until(() => fed.length === 2, 'the 12:00 candle');
    expect(fed.sort()).toEqual([`BTCUSDT@${T1200}`, `ETHUSDT@${T1200}`]);
    expect(failures).toEqual([]);
    live.stop();
    await expect(running).resolves.toBeUndefined();
  });

  it('drops a stale reply of older candles with a debug line; the loop keeps running', async () => {
    const generators = await warmedGenerators();
    const fed: number[] = [];
    const running = live.run(async (batch) => {
      for (const { symbol, candle } of batch) {
        generators.get(symbol)?.update(candle); // throws on a repeat: run() must not end on it
        fed.push(candle.timestamp);
      }
    });
    // Both symbols' first polls get the answer the warm-up got (older candles only).
    fake.inject('GET /fapi/v1/klines', { kind: 'stale' }, 2);
    clock.set(T1200 + 2_000);
    await until(() => fake.requests.filter((r) => r.fault === 'stale').length === 2, 'the stale replies');
    await until(() => clock.pendingTimers() > 0, 'run() to wait again');
    clock.set(T1200 + CANDLE_MS + 2_000);
    await until(() => fed.length === 2, 'the next candle');
    expect(fed).toEqual([T1200, T1200]);
    live.stop();
    await expect(running).resolves.toBeUndefined();
  });

  it('a batch whose handler throws is logged; the next candle still arrives and only stop() ends run()', async () => {
    await warmedGenerators();
    let calls = 0;
    const seen: number[] = [];
    const running = live.run(async (batch: readonly ClosedCandle[]) => {
      calls++;
      seen.push(batch[0]?.candle.timestamp ?? -1);
      if (calls === 1) throw new RangeError('candle 1 is not after the previous one');
    });
    clock.set(T1200 + CANDLE_MS + 2_000);
    await until(() => calls === 1, 'the first batch');
    await until(() => clock.pendingTimers() > 0, 'run() to wait again');
    clock.set(T1200 + 2 * CANDLE_MS + 2_000);
    await until(() => calls === 2, 'the second batch');
    expect(seen).toEqual([T1200, T1200 + CANDLE_MS]);
    expect(logger.lines.some((l) => l.level === 'error' && l.message === 'candle handler failed; waiting for the next candle')).toBe(true);
    live.stop();
    await expect(running).resolves.toBeUndefined();
  });

  it('the emit guard itself drops a repeated or older candle (counted, debug line)', async () => {
    const fed: number[] = [];
    const emit = (
      live as unknown as { emit: (b: ClosedCandle[][], f: (b: readonly ClosedCandle[]) => Promise<void>) => Promise<void> }
    ).emit.bind(live);
    const candle = (t: number): ClosedCandle => ({
      symbol: 'BTCUSDT',
      mark: null,
      candle: { timestamp: t, open: 1, high: 1, low: 1, close: 1, volume: 1 },
    });
    const sink = async (b: readonly ClosedCandle[]): Promise<void> => {
      fed.push(...b.map((c) => c.candle.timestamp));
    };
    await emit([[candle(T1200)], [candle(T1200)], [candle(T1200 - CANDLE_MS)], [candle(T1200 + CANDLE_MS)]], sink);
    expect(fed).toEqual([T1200, T1200 + CANDLE_MS]);
    expect(live.droppedCandles()).toBe(2);
    expect(logger.lines.filter((l) => l.level === 'debug' && l.message === 'candle already seen or older; dropped')).toHaveLength(2);
  });
});
