import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/clock.js';
import { LaneScheduler } from '../../../src/engine/execution/scheduler.js';
import type { RequestSpec } from '../../../src/engine/execution/types.js';
import type { Ticker } from '../../../src/engine/types.js';
import { BreakerOpenError } from '../../../src/errors.js';
import { flush, memoryLogger, spec } from './helpers.js';

/** Breaker thresholds above the whole budget: only the budget holds the lanes. */
const BREAKER_OFF = { warnPct: 2, throttlePct: 2, dropPct: 2 };

function setup(options: { maxInFlight?: number; breakerOff?: boolean } = {}) {
  const clock = new ManualClock(0);
  const logger = memoryLogger();
  const bound = options.maxInFlight ?? 1_000;
  const scheduler = new LaneScheduler({
    clock,
    logger,
    maxInFlight: { 1: bound, 2: bound, 3: bound },
    ...(options.breakerOff === true ? { breaker: BREAKER_OFF } : {}),
  });
  const sent: string[] = [];
  return { clock, logger, scheduler, sent };
}

/** Marks the minute's weight as spent (as Binance's header would), so lanes 1-3 queue. */
function spendMinute(scheduler: LaneScheduler): void {
  scheduler.observeHeaders({ 'X-MBX-USED-WEIGHT-1M': '2400' });
}

function breakerLines(logger: ReturnType<typeof memoryLogger>): string[] {
  return logger.lines.filter((l) => l.level === 'warn' && l.message.startsWith('breaker')).map((l) => l.message);
}

describe('LaneScheduler', () => {
  it('sends queued work by strict priority between lanes and FIFO within a lane', async () => {
    const { clock, scheduler, sent } = setup({ breakerOff: true });
    spendMinute(scheduler);
    const done = [
      scheduler.submit(spec(sent, 'p3-a', 3)),
      scheduler.submit(spec(sent, 'p2-a', 2)),
      scheduler.submit(spec(sent, 'p1-a', 1)),
      scheduler.submit(spec(sent, 'p3-b', 3)),
      scheduler.submit(spec(sent, 'p1-b', 1)),
      scheduler.submit(spec(sent, 'p2-b', 2)),
    ];
    expect(sent).toEqual([]);
    clock.set(60_000);
    await Promise.all(done);
    expect(sent).toEqual(['p1-a', 'p1-b', 'p2-a', 'p2-b', 'p3-a', 'p3-b']);
  });

  it('sends a P0 request synchronously inside submit while lane 3 holds 10 000 requests and the breaker blocks', async () => {
    const { clock, scheduler, sent } = setup();
    // 83 % used: throttle lets one lane-3 request through per second, the rest queue.
    scheduler.observeHeaders({ 'X-MBX-USED-WEIGHT-1M': '2000' });
    const lane3 = Array.from({ length: 10_001 }, (_, i) => scheduler.submit(spec(sent, `md-${i}`, 3)));
    expect(sent).toEqual(['md-0']);
    sent.length = 0;
    scheduler.observeRateLimit(429, 30_000);
    expect(scheduler.stats().breaker).toBe('block');
    const queued1 = scheduler.submit(spec(sent, 'entry', 1));

    let p0CalledSynchronously = false;
    const close: RequestSpec<string> = {
      priority: 0,
      endpoint: 'POST /fapi/v1/order',
      weight: 0,
      orders: 1,
      run: () => {
        p0CalledSynchronously = true;
        sent.push('close');
        return Promise.resolve('closed');
      },
    };
    const closing = scheduler.submit(close);
    expect(p0CalledSynchronously).toBe(true);
    expect(sent).toEqual(['close']);
    await expect(closing).resolves.toBe('closed');

    clock.advance(29_000);
    await flush();
    expect(sent).toEqual(['close']);
    const stats = scheduler.stats();
    expect(stats.lanes[3]?.queued).toBe(10_000);
    expect(stats.lanes[1]?.queued).toBe(1);
    expect(stats.lanes[0]?.sent).toBe(1);
    expect(stats.orders10s).toBe(0); // the 10 s window rolled; the close was counted in its own window
    expect(stats.orders1m).toBe(1);

    // Once Retry-After has passed (and the minute rolled), lane 1 goes before lane 3.
    clock.set(60_000);
    await queued1;
    expect(sent[1]).toBe('entry');
    scheduler.stop('test over');
    await Promise.allSettled(lane3);
  });

  it('counts P0 weight without making P0 wait for the budget', async () => {
    const { scheduler, sent } = setup();
    spendMinute(scheduler);
    const read = scheduler.submit(spec(sent, 'emergency-positions', 0, 5, 0, 'GET /fapi/v3/positionRisk'));
    expect(sent).toEqual(['emergency-positions']);
    await read;
    expect(scheduler.stats().usedWeight1m).toBe(2_405);
  });

  it('holds lanes 1-3 when the minute weight is spent and releases them when the minute rolls', async () => {
    const { clock, scheduler, sent } = setup();
    const requests = Array.from({ length: 40 }, (_, i) => scheduler.submit(spec(sent, `r${i}`, 1, 60)));
    await flush();
    // Lane 1 may fill 95 % of 2400 = 2280 = 38 × 60.
    expect(sent).toHaveLength(38);
    expect(scheduler.stats().lanes[1]?.queued).toBe(2);
    const lane2 = scheduler.submit(spec(sent, 'read', 2, 5));
    clock.set(59_999);
    await flush();
    expect(sent).toHaveLength(38);
    clock.set(60_000);
    await Promise.all([...requests, lane2]);
    expect(sent.slice(38)).toEqual(['r38', 'r39', 'read']);
    expect(scheduler.stats().usedWeight1m).toBe(125);
  });

  it('raises its used weight from the X-MBX-USED-WEIGHT-1M header and never lowers it', async () => {
    const { scheduler, sent } = setup();
    void scheduler.submit(spec(sent, 'a', 2, 5));
    scheduler.observeHeaders({ 'x-mbx-used-weight-1m': '2200' });
    expect(scheduler.stats().usedWeight1m).toBe(2_200);
    scheduler.observeHeaders({ 'X-Mbx-Used-Weight-1m': '10', 'X-MBX-ORDER-COUNT-10S': '12', 'x-mbx-order-count-1m': '40' });
    const stats = scheduler.stats();
    expect(stats.usedWeight1m).toBe(2_200);
    expect(stats.orders10s).toBe(12);
    expect(stats.orders1m).toBe(40);
    // 2200 + 5 is above lane 2's 90 % share: it waits.
    const waiting = scheduler.submit(spec(sent, 'b', 2, 5));
    expect(sent).toEqual(['a']);
    expect(scheduler.stats().lanes[2]?.queued).toBe(1);
    scheduler.stop('shutting down');
    await expect(waiting).rejects.toThrow(/not sent: shutting down/);
  });

  it('keeps new orders under 300 per 10 s while reads and P0 closes still go', async () => {
    const { clock, scheduler, sent } = setup();
    const orders = Array.from({ length: 400 }, (_, i) => scheduler.submit(spec(sent, `order-${i}`, 1, 0, 1, 'POST /fapi/v1/order')));
    await flush();
    expect(sent).toHaveLength(285);
    expect(scheduler.stats().orders10s).toBe(285);

    // Reads do not use the order budget, so lane 2 is not held behind lane 1's orders.
    await scheduler.submit(spec(sent, 'balance', 2, 5));
    await scheduler.submit(spec(sent, 'close', 0, 0, 1, 'POST /fapi/v1/order'));
    expect(sent.slice(-2)).toEqual(['balance', 'close']);
    expect(scheduler.stats().orders10s).toBe(286);

    clock.set(9_999);
    await flush();
    expect(sent.filter((s) => s.startsWith('order-'))).toHaveLength(285);
    clock.set(10_000);
    await Promise.all(orders);
    expect(sent.filter((s) => s.startsWith('order-'))).toHaveLength(400);
    expect(scheduler.stats().orders10s).toBe(115);
  });

  it('holds lane-1 orders when the X-MBX-ORDER-COUNT-10S header says the window is used', async () => {
    const { clock, scheduler, sent } = setup();
    scheduler.observeHeaders({ 'X-MBX-ORDER-COUNT-10S': '300' });
    const entry = scheduler.submit(spec(sent, 'entry', 1, 0, 1, 'POST /fapi/v1/order'));
    expect(sent).toEqual([]);
    clock.set(10_000);
    await entry;
    expect(sent).toEqual(['entry']);
  });

  it('moves ok → warn → throttle → block and back, logging each change once, honouring Retry-After', async () => {
    const { clock, logger, scheduler, sent } = setup();
    const send = (label: string, priority: 0 | 1 | 2 | 3, weight: number) => scheduler.submit(spec(sent, label, priority, weight));

    await send('w1', 1, 1_439);
    expect(scheduler.stats().breaker).toBe('ok');
    await send('w2', 1, 1); // 1440 = 60 %
    expect(scheduler.stats().breaker).toBe('warn');
    await send('w3', 1, 480); // 1920 = 80 %
    let stats = scheduler.stats();
    expect(stats.breaker).toBe('throttle');
    expect(stats.lane3Mode).toBe('slow');

    // Throttle: lane 3 at most one request per second.
    const md1 = send('md1', 3, 1);
    const md2 = send('md2', 3, 1);
    await md1;
    expect(sent.at(-1)).toBe('md1');
    clock.advance(999);
    await flush();
    expect(sent.at(-1)).toBe('md1');
    clock.advance(1);
    await md2;
    expect(sent.at(-1)).toBe('md2');

    await send('w4', 1, 238); // 2160 = 90 %: lane 3 is shed
    expect(scheduler.stats().lane3Mode).toBe('cache_or_drop');
    await expect(send('md3', 3, 1)).rejects.toBeInstanceOf(BreakerOpenError);

    clock.set(5_000);
    scheduler.observeRateLimit(429, 10_000);
    stats = scheduler.stats();
    expect(stats.breaker).toBe('block');
    expect(stats.blockedUntil).toBe(15_000);
    expect(stats.last429At).toBe(5_000);
    const held = send('held', 1, 1);
    const heldRead = send('held-read', 2, 1);
    await expect(send('md4', 3, 1)).rejects.toBeInstanceOf(BreakerOpenError);
    await send('p0', 0, 1);
    expect(sent.at(-1)).toBe('p0');
    clock.set(14_999);
    await flush();
    expect(sent.at(-1)).toBe('p0');

    clock.set(15_000);
    await held;
    expect(sent.at(-1)).toBe('held');
    expect(scheduler.stats().breaker).toBe('throttle');

    // Lane 2's share (90 %) of this minute is used up: it waits for the next minute.
    clock.set(60_000);
    await heldRead;
    expect(sent.at(-1)).toBe('held-read');
    expect(scheduler.stats().breaker).toBe('ok');
    expect(breakerLines(logger)).toEqual([
      'breaker ok -> warn',
      'breaker warn -> throttle',
      'breaker throttle -> block',
      'breaker block -> throttle',
      'breaker throttle -> ok',
    ]);
    const blockLine = logger.lines.find((l) => l.message === 'breaker throttle -> block');
    expect(blockLine?.fields).toMatchObject({ tier: 'block', reason: expect.stringMatching(/429/) as unknown });
    expect(typeof blockLine?.fields?.['usedWeight']).toBe('number');
  });

  it('blocks longer on 418 (ban) and records it', async () => {
    const { clock, scheduler, sent } = setup();
    scheduler.observeRateLimit(418, 1_000);
    const held = scheduler.submit(spec(sent, 'entry', 1));
    let stats = scheduler.stats();
    expect(stats.breaker).toBe('block');
    expect(stats.blockedUntil).toBe(120_000);
    expect(stats.last418At).toBe(0);
    clock.set(60_000);
    await flush();
    expect(sent).toEqual([]);
    clock.set(120_000);
    await held;
    stats = scheduler.stats();
    expect(stats.breaker).toBe('ok');
    expect(stats.blockedUntil).toBeNull();
  });

  describe('ticker reads', () => {
    const tickerSpec = (calls: { n: number }, clock: ManualClock, priority: 0 | 1 | 2 | 3 = 3): RequestSpec<Ticker> => ({
      priority,
      endpoint: 'GET /fapi/v1/ticker/price',
      weight: 1,
      orders: 0,
      run: () => {
        calls.n++;
        return Promise.resolve({ symbol: 'BTCUSDT', last: 100 + calls.n, mark: null, timestamp: clock.now() });
      },
    });

    it('answers lane-3 ticker reads from the cache for 5 s without a request', async () => {
      const { clock, scheduler } = setup();
      const calls = { n: 0 };
      const first = await scheduler.submitTicker('BTCUSDT', tickerSpec(calls, clock));
      expect(first).toMatchObject({ fromCache: false, stale: false });
      clock.advance(4_999);
      const second = await scheduler.submitTicker('BTCUSDT', tickerSpec(calls, clock));
      expect(second).toMatchObject({ fromCache: true, stale: false, ageMs: 4_999 });
      expect(second.ticker.last).toBe(101);
      expect(calls.n).toBe(1);
      clock.advance(1);
      const third = await scheduler.submitTicker('BTCUSDT', tickerSpec(calls, clock));
      expect(third.ticker.last).toBe(102);
      expect(calls.n).toBe(2);
      expect(scheduler.stats().tickerCacheHits).toBe(1);
    });

    it('sends a P0 ticker read at once, even while blocked, and caches it', async () => {
      const { scheduler, clock } = setup();
      const calls = { n: 0 };
      scheduler.observeRateLimit(418, 0);
      const read = scheduler.submitTicker('BTCUSDT', tickerSpec(calls, clock, 0));
      expect(calls.n).toBe(1);
      await expect(read).resolves.toMatchObject({ fromCache: false });
      expect(scheduler.cachedTicker('BTCUSDT')?.stale).toBe(false);
    });

    it('shares one request between concurrent reads of a symbol', async () => {
      const { scheduler, clock } = setup();
      const calls = { n: 0 };
      spendMinute(scheduler);
      scheduler.observeRateLimit(429, 1_000);
      clock.set(60_000);
      const a = scheduler.submitTicker('BTCUSDT', tickerSpec(calls, clock, 2));
      const b = scheduler.submitTicker('BTCUSDT', tickerSpec(calls, clock, 2));
      await Promise.all([a, b]);
      expect(calls.n).toBe(1);
    });

    it('returns a stale cached ticker, flagged, when the breaker throttles or blocks lane 3', async () => {
      const { clock, scheduler } = setup();
      const calls = { n: 0 };
      await scheduler.submitTicker('BTCUSDT', tickerSpec(calls, clock));
      clock.advance(20_000);
      scheduler.observeHeaders({ 'x-mbx-used-weight-1m': '2000' }); // 83 %: throttle
      const throttled = await scheduler.submitTicker('BTCUSDT', tickerSpec(calls, clock));
      expect(throttled).toMatchObject({ fromCache: true, stale: true, ageMs: 20_000 });
      scheduler.observeRateLimit(429, 5_000);
      const blocked = await scheduler.submitTicker('BTCUSDT', tickerSpec(calls, clock));
      expect(blocked.stale).toBe(true);
      expect(calls.n).toBe(1);
      await expect(scheduler.submitTicker('ETHUSDT', tickerSpec(calls, clock))).rejects.toBeInstanceOf(BreakerOpenError);
      expect(scheduler.stats().tickerStaleServed).toBe(2);
    });
  });

  it('reports queue depth, in-flight, sent and wait percentiles per lane', async () => {
    const { clock, scheduler, sent } = setup({ maxInFlight: 2 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = (label: string): RequestSpec<string> => ({
      priority: 2,
      endpoint: 'GET /fapi/v3/account',
      weight: 5,
      orders: 0,
      run: async () => {
        sent.push(label);
        await gate;
        return label;
      },
    });
    const reads = [slow('a'), slow('b'), slow('c'), slow('d')].map((s) => scheduler.submit(s));
    let stats = scheduler.stats();
    expect(stats.lanes.map((l) => l.queued)).toEqual([0, 0, 2, 0]);
    expect(stats.lanes[2]).toMatchObject({ inFlight: 2, sent: 2, waitP50Ms: 0 });
    expect(stats.usedWeight1m).toBe(10);
    clock.advance(300);
    release();
    await Promise.all(reads);
    stats = scheduler.stats();
    expect(stats.lanes[2]).toMatchObject({ queued: 0, inFlight: 0, sent: 4, dropped: 0, waitP99Ms: 300 });
    expect(stats.weightLimit1m).toBe(2_400);
  });

  it('rejects a request whose run throws synchronously, and an invalid spec, with a clear error', async () => {
    const { scheduler } = setup();
    const boom: RequestSpec<never> = {
      priority: 0,
      endpoint: 'DELETE /fapi/v1/order',
      weight: 1,
      orders: 0,
      run: () => {
        throw new Error('socket closed');
      },
    };
    await expect(scheduler.submit(boom)).rejects.toThrow('socket closed');
    await expect(scheduler.submit({ ...boom, weight: -1 })).rejects.toThrow(/weight must be ≥ 0/);
    expect(scheduler.stats().lanes[0]?.inFlight).toBe(0);
  });
});
