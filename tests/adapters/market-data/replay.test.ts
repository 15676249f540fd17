import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/clock.js';
import { bundledDataDir } from '../../../src/adapters/data/layout.js';
import { loadMarketHistory } from '../../../src/adapters/data/history.js';
import { ReplayMarketData } from '../../../src/adapters/market-data/replay.js';
import type { ReplaySymbolData } from '../../../src/adapters/market-data/replay.js';
import type { ClosedCandle } from '../../../src/engine/ports.js';
import type { Candle, MarkCandle } from '../../../src/engine/types.js';
import { ConfigError } from '../../../src/errors.js';
import { CANDLE_MS } from '../../../src/engine/types.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 9, 10, 12);

function candles(fromIndex: number, count: number, base = 100): Candle[] {
  return Array.from({ length: count }, (_, k) => {
    const i = fromIndex + k;
    return { timestamp: T0 + i * CANDLE_MS, open: base + i, high: base + i + 2, low: base + i - 1, close: base + i + 1, volume: 1 };
  });
}

function marks(hours: number, base = 100): MarkCandle[] {
  return Array.from({ length: hours }, (_, h) => ({
    timestamp: T0 + h * HOUR,
    open: base,
    high: base + 50,
    low: base - 50,
    close: base + 12 * h + 11,
  }));
}

function symbolData(symbol: string, data: readonly Candle[], mark: MarkCandle[] | null = null): ReplaySymbolData {
  return { symbol, candles: data, mark, funding: null };
}

/** Runs the replay to the end (as fast as possible) and returns the batches. */
async function collect(replay: ReplayMarketData): Promise<ClosedCandle[][]> {
  const batches: ClosedCandle[][] = [];
  await replay.run(async (batch) => {
    batches.push([...batch]);
  });
  return batches;
}

/** Lets pending promise callbacks run (bounded: a fixed number of macrotask turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('ReplayMarketData.run', () => {
  it('merges symbols into batches of one open time, in time order, whatever their ranges', async () => {
    const replay = new ReplayMarketData({
      data: [symbolData('AAA', candles(0, 4)), symbolData('BBB', candles(2, 4)), symbolData('CCC', candles(1, 1))],
      speed: 0,
    });
    const batches = await collect(replay);
    expect(batches.map((b) => b.map((c) => `${c.symbol}@${(c.candle.timestamp - T0) / CANDLE_MS}`))).toEqual([
      ['AAA@0'],
      ['AAA@1', 'CCC@1'],
      ['AAA@2', 'BBB@2'],
      ['AAA@3', 'BBB@3'],
      ['BBB@4'],
      ['BBB@5'],
    ]);
    expect(replay.progress()).toEqual({ emittedCandles: 9, remainingCandles: 0 });
  });

  it('keeps merging across a gap in one symbol', async () => {
    const gappy = [...candles(0, 2), ...candles(5, 2)];
    const batches = await collect(
      new ReplayMarketData({ data: [symbolData('AAA', gappy), symbolData('BBB', candles(0, 7))], speed: Infinity }),
    );
    const times = batches.map((b) => b[0]!.candle.timestamp);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1, 1, 1, 2, 2]);
  });

  it('attaches the mark candle of the hour containing each candle, null where there is none', async () => {
    const replay = new ReplayMarketData({
      data: [symbolData('AAA', candles(0, 26), marks(2)), symbolData('BBB', candles(0, 1))],
      speed: 0,
    });
    const batches = await collect(replay);
    const aaa = batches.flat().filter((c) => c.symbol === 'AAA');
    expect(aaa[0]!.mark?.timestamp).toBe(T0);
    expect(aaa[11]!.mark?.timestamp).toBe(T0);
    expect(aaa[12]!.mark?.timestamp).toBe(T0 + HOUR);
    expect(aaa[24]!.mark).toBeNull();
    expect(batches[0]!.find((c) => c.symbol === 'BBB')!.mark).toBeNull();
  });

  it('resumes after the last processed candle of each symbol', async () => {
    const replay = new ReplayMarketData({
      data: [symbolData('AAA', candles(0, 6)), symbolData('BBB', candles(0, 6))],
      speed: 0,
      startAfter: { AAA: T0 + 3 * CANDLE_MS, BBB: T0 + 1 * CANDLE_MS },
    });
    const emitted = (await collect(replay)).flat().map((c) => `${c.symbol}@${(c.candle.timestamp - T0) / CANDLE_MS}`);
    expect(emitted).toEqual(['BBB@2', 'BBB@3', 'AAA@4', 'BBB@4', 'AAA@5', 'BBB@5']);
  });

  it('emits nothing when resuming after the last candle', async () => {
    const replay = new ReplayMarketData({ data: [symbolData('AAA', candles(0, 3))], speed: 0, startAfter: { AAA: T0 + 2 * CANDLE_MS } });
    expect(await collect(replay)).toEqual([]);
  });

  it('stops after the batch during which stop() was called, and continues on the next run()', async () => {
    const replay = new ReplayMarketData({ data: [symbolData('AAA', candles(0, 10))], speed: 0 });
    const seen: number[] = [];
    await replay.run(async (batch) => {
      seen.push(batch[0]!.candle.timestamp);
      if (seen.length === 3) replay.stop();
    });
    expect(seen).toHaveLength(3);
    await replay.run(async (batch) => {
      seen.push(batch[0]!.candle.timestamp);
    });
    expect(seen).toEqual(candles(0, 10).map((c) => c.timestamp));
  });

  it('never runs ahead of the handler', async () => {
    const replay = new ReplayMarketData({ data: [symbolData('AAA', candles(0, 5))], speed: 0 });
    let inFlight = 0;
    let maxInFlight = 0;
    await replay.run(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await settle();
      inFlight--;
    });
    expect(maxInFlight).toBe(1);
  });

  it('paces batches on the clock at 300 000 / speed ms per 5m candle', async () => {
    const clock = new ManualClock(0);
    const replay = new ReplayMarketData({ data: [symbolData('AAA', candles(0, 3))], speed: 300, clock });
    const seen: number[] = [];
    const done = replay.run(async (batch) => {
      seen.push(batch[0]!.candle.timestamp);
    });
    await settle();
    expect(seen).toHaveLength(1);
    clock.advance(999);
    await settle();
    expect(seen).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(seen).toHaveLength(2);
    clock.advance(1000);
    await done;
    expect(seen).toHaveLength(3);
  });

  it('stop() ends a paced run that is waiting for the clock', async () => {
    const clock = new ManualClock(0);
    const replay = new ReplayMarketData({ data: [symbolData('AAA', candles(0, 3))], speed: 1, clock });
    let batches = 0;
    const done = replay.run(async () => {
      batches++;
    });
    await settle();
    replay.stop();
    await done;
    expect(batches).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refuses a negative REPLAY_SPEED, or a finite one without a clock', () => {
    expect(() => new ReplayMarketData({ data: [], speed: -1 })).toThrow(ConfigError);
    expect(() => new ReplayMarketData({ data: [], speed: 10 })).toThrow(/REPLAY_SPEED/);
  });
});

describe('ReplayMarketData queries', () => {
  const data = [symbolData('AAA', candles(0, 24), marks(2))];

  it('history returns up to `count` candles closed by `beforeMs`, oldest first', async () => {
    const replay = new ReplayMarketData({ data, speed: 0 });
    const before = T0 + 10 * CANDLE_MS;
    const warmUp = await replay.history('AAA', 3, before);
    expect(warmUp.map((c) => (c.timestamp - T0) / CANDLE_MS)).toEqual([7, 8, 9]);
    // Mid-candle: the candle opened at 10 has not closed yet.
    expect((await replay.history('AAA', 2, before + 60_000)).map((c) => (c.timestamp - T0) / CANDLE_MS)).toEqual([8, 9]);
    expect(await replay.history('AAA', 5, T0)).toEqual([]);
    expect(await replay.history('AAA', 0, before)).toEqual([]);
    expect(await replay.history('ZZZ', 5, before)).toEqual([]);
  });

  it('lastTicker gives the last emitted close, with the mark close at the end of the mark hour', async () => {
    const replay = new ReplayMarketData({ data, speed: 0 });
    expect(replay.lastTicker('AAA')).toBeNull();
    const seen: ClosedCandle[] = [];
    await replay.run(async (batch) => {
      seen.push(...batch);
      if (seen.length === 5) replay.stop();
    });
    const fifth = candles(4, 1)[0]!;
    // Inside the hour the mark is the trade close bounded by the hour's mark range.
    expect(replay.lastTicker('AAA')).toEqual({
      symbol: 'AAA',
      last: fifth.close,
      mark: fifth.close,
      timestamp: fifth.timestamp + CANDLE_MS,
    });
    await collect(replay);
    const last = candles(23, 1)[0]!;
    expect(replay.lastTicker('AAA')).toEqual({
      symbol: 'AAA',
      last: last.close,
      mark: marks(2)[1]!.close,
      timestamp: last.timestamp + CANDLE_MS,
    });
  });

  it('fundingEvents exposes each symbol’s funding for the paper exchange', () => {
    const funding = [{ timestamp: T0 + 4 * HOUR, rate: 0.0001 }];
    const replay = new ReplayMarketData({ data: [{ symbol: 'AAA', candles: candles(0, 1), mark: null, funding }], speed: 0 });
    expect(replay.fundingEvents('AAA')).toEqual(funding);
    expect(replay.fundingEvents('BBB')).toEqual([]);
  });
});

describe('ReplayMarketData on the bundled data', () => {
  it('replays a day of BTC, ETH and SOL in time order with their hourly mark', async () => {
    const from = Date.UTC(2025, 9, 10);
    const to = Date.UTC(2025, 9, 10, 23, 55);
    const history = await loadMarketHistory(bundledDataDir(), ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], { from, to });
    const replay = new ReplayMarketData({ data: history.values(), speed: 0 });
    const batches = await collect(replay);
    expect(batches).toHaveLength(288);
    expect(batches.every((b) => b.map((c) => c.symbol).join() === 'BTCUSDT,ETHUSDT,SOLUSDT')).toBe(true);
    for (const [i, batch] of batches.entries()) {
      const openMs = from + i * CANDLE_MS;
      for (const c of batch) {
        expect(c.candle.timestamp).toBe(openMs);
        expect(c.mark?.timestamp).toBe(openMs - (openMs % HOUR));
      }
    }
    expect(replay.lastTicker('BTCUSDT')?.timestamp).toBe(to + CANDLE_MS);
    expect(replay.fundingEvents('BTCUSDT')).toHaveLength(3);
  });
});
