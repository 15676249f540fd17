import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../../../src/adapters/clock.js';
import { LiveMarketData } from '../../../src/adapters/market-data/live.js';
import { CANDLE_MS } from '../../../src/engine/types.js';
import { LaneScheduler } from '../../../src/engine/execution/scheduler.js';
import type { ClosedCandle } from '../../../src/engine/ports.js';
import { startFakeBinance, type FakeBinance } from '../../fakes/fake-binance.js';
import { recordingLogger } from '../binance/helpers.js';

/** 2025-06-02 12:00:10 UTC: ten seconds into the 12:00 candle. */
const START_MS = Date.UTC(2025, 5, 2, 12, 0, 10);
const T1200 = Date.UTC(2025, 5, 2, 12, 0, 0);

let clock: ManualClock;
let fake: FakeBinance;
let scheduler: LaneScheduler;
let live: LiveMarketData;
const fetched: string[] = [];

beforeEach(async () => {
  clock = new ManualClock(START_MS);
  fake = await startFakeBinance({ now: () => clock.now(), klineHistoryStartMs: T1200 - 30 * 86_400_000 });
  const logger = recordingLogger();
  scheduler = new LaneScheduler({ clock, logger });
  fetched.length = 0;
  live = new LiveMarketData({
    symbols: ['BTCUSDT', 'ETHUSDT'],
    scheduler,
    clock,
    logger,
    apiBase: fake.url,
    timeoutMs: 500,
    pollDelayMs: 2_000,
    tickerIntervalMs: 0,
    onRequest: (method, url) => fetched.push(`${method} ${url}`),
  });
});

afterEach(async () => {
  live.stop();
  scheduler.stop();
  await fake.close();
});

/** Collects batches from run(); `next(n)` resolves once n batches in total have arrived. */
function collector(): {
  batches: ClosedCandle[][];
  onClose: (batch: readonly ClosedCandle[]) => Promise<void>;
  next: (total: number) => Promise<void>;
} {
  const batches: ClosedCandle[][] = [];
  const waiters: { total: number; resolve: () => void }[] = [];
  return {
    batches,
    onClose: async (batch) => {
      batches.push([...batch]);
      for (const w of waiters.filter((x) => batches.length >= x.total)) w.resolve();
    },
    next: (total) =>
      new Promise<void>((resolve, reject) => {
        if (batches.length >= total) return resolve();
        const timer = setTimeout(() => reject(new Error(`only ${batches.length} of ${total} batches arrived`)), 5_000);
        waiters.push({
          total,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
  };
}

/** Lets run() reach its next sleep on the manual clock (bounded). */
async function untilWaiting(): Promise<void> {
  for (let i = 0; i < 500 && clock.pendingTimers() === 0; i++) await new Promise((r) => setImmediate(r));
  expect(clock.pendingTimers()).toBeGreaterThan(0);
}

describe('LiveMarketData history', () => {
  it('returns the requested number of closed 5m candles before a time, oldest first, paging by 1500', async () => {
    const candles = await live.history('BTCUSDT', 2_000, clock.now());

    expect(candles).toHaveLength(2_000);
    expect(candles[candles.length - 1]?.timestamp).toBe(T1200 - CANDLE_MS); // the 12:00 candle is still open
    expect(candles.every((c, i) => i === 0 || c.timestamp - (candles[i - 1]?.timestamp ?? 0) === CANDLE_MS)).toBe(true);
    const limits = fake.requests.filter((r) => r.path === '/fapi/v1/klines').map((r) => r.query['limit']);
    expect(limits).toEqual(['1500', '500']);
  });

  it('stops at candles that closed before the given time', async () => {
    const before = T1200 - 60 * 60_000;
    const candles = await live.history('ETHUSDT', 3, before);
    expect(candles.map((c) => c.timestamp)).toEqual([before - 3 * CANDLE_MS, before - 2 * CANDLE_MS, before - CANDLE_MS]);
  });
});

describe('LiveMarketData run', () => {
  it('emits the candle that just closed, for every symbol in one batch, shortly after the boundary', async () => {
    const sink = collector();
    const running = live.run(sink.onClose);

    clock.set(T1200 + CANDLE_MS + 2_000);
    await sink.next(1);

    const [batch] = sink.batches;
    expect(batch?.map((c) => c.symbol).sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(batch?.every((c) => c.candle.timestamp === T1200 && c.mark === null)).toBe(true);
    const klineCalls = fake.requests.filter((r) => r.path === '/fapi/v1/klines');
    expect(klineCalls.every((r) => r.query['limit'] === '2' && r.query['interval'] === '5m')).toBe(true);
    expect(scheduler.stats().lanes[3]?.sent).toBeGreaterThanOrEqual(2);

    live.stop();
    await running;
  });

  it('catches up missed candles in time order after a long pause', async () => {
    const sink = collector();
    const running = live.run(sink.onClose);
    clock.set(T1200 + CANDLE_MS + 2_000);
    await sink.next(1);
    await untilWaiting();

    clock.set(T1200 + 5 * CANDLE_MS + 2_000); // the polls of 12:10, 12:15 and 12:20 were missed
    await sink.next(5);

    expect(sink.batches.map((b) => b[0]?.candle.timestamp)).toEqual([0, 1, 2, 3, 4].map((i) => T1200 + i * CANDLE_MS));
    expect(sink.batches.every((b) => b.length === 2)).toBe(true);
    live.stop();
    await running;
  });

  it('ends run() as soon as stop() is called', async () => {
    const running = live.run(async () => {});
    live.stop();
    await expect(running).resolves.toBeUndefined();
    expect(fake.requests).toHaveLength(0);
  });
});

describe('LiveMarketData tickers', () => {
  it('keeps the last price and the mark price of each symbol', async () => {
    expect(live.lastTicker('BTCUSDT')).toBeNull();
    fake.setPrice('BTCUSDT', 61_234.5);

    await live.refreshTickers();

    expect(live.lastTicker('BTCUSDT')).toEqual({ symbol: 'BTCUSDT', last: 61_234.5, mark: 61_234.5, timestamp: clock.now() });
    expect(live.lastTicker('ETHUSDT')?.last).toBe(3_000);
  });

  it('serves a ticker through the lanes’ 5 s cache without a second request', async () => {
    const first = await scheduler.submitTicker('BTCUSDT', live.tickerSpec('BTCUSDT'));
    const second = await scheduler.submitTicker('BTCUSDT', live.tickerSpec('BTCUSDT'));

    expect(first.ticker.last).toBe(60_000);
    expect(second.fromCache).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/fapi/v1/ticker/price')).toHaveLength(1);
  });
});

describe('LiveMarketData.probe', () => {
  it('is true when the futures API answers', async () => {
    const logger = recordingLogger();
    expect(await LiveMarketData.probe({ apiBase: fake.url, logger, timeoutMs: 2_000 })).toBe(true);
    expect(fake.requests.map((r) => r.path)).toEqual(['/fapi/v1/time']);
  });

  it('is false when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));

    expect(await LiveMarketData.probe({ apiBase: `http://127.0.0.1:${port}`, logger: recordingLogger(), timeoutMs: 1_000 })).toBe(false);
  });

  it('is false when the API does not answer within the timeout', async () => {
    fake.inject('GET /fapi/v1/time', { kind: 'timeout' });
    expect(await LiveMarketData.probe({ apiBase: fake.url, logger: recordingLogger(), timeoutMs: 300 })).toBe(false);
  });
});

describe('LiveMarketData routing', () => {
  it('requests only public futures paths under EXCHANGE_API_BASE', async () => {
    await live.history('BTCUSDT', 10, clock.now());
    await live.refreshTickers();

    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((line) => line.startsWith(`GET ${fake.url}/fapi/v1/`))).toBe(true);
    expect(fake.requests.every((r) => r.headers['x-mbx-apikey'] === undefined)).toBe(true);
  });
});
