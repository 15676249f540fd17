/**
 * Execution lanes: P0 dispatch latency behind a full lane 3 and a blocking breaker, against
 * ccxt's own throttler as the baseline; scheduler overhead per request; and a simulated
 * 10 minutes of the bot's request mix to show its weight stays under half of Binance's
 * 2400/min.
 */
import ccxt from 'ccxt';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/adapters/clock.js';
import { LaneScheduler } from '../src/engine/execution/scheduler.js';
import type { RequestSpec } from '../src/engine/execution/types.js';
import { costOf, weightFor } from '../src/engine/execution/weights.js';
import type { Logger, Priority } from '../src/engine/ports.js';
import type { Ticker } from '../src/engine/types.js';
import { percentile, type Emit } from './figure.js';

const QUEUED = 10_000;
const P0_SAMPLES = 1_000;
const P0_WARMUP = 200;
const OVERHEAD_REQUESTS = 100_000;
const CCXT_PREFIXES = [200, 400] as const;

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

const round = (value: number, digits = 4): number => Math.round(value * 10 ** digits) / 10 ** digits;

async function flush(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/** submit() → run() latency of a close while lane 3 holds 10 000 requests and a 429 blocks. */
function measureP0Dispatch(): { p50: number; p99: number; lane3Queued: number; lane3Sent: number } {
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  const scheduler = new LaneScheduler({ clock, logger: silentLogger });
  // 83 % of the minute used: throttle lets one lane-3 request out, the rest queue.
  scheduler.observeHeaders({ 'X-MBX-USED-WEIGHT-1M': '2000' });
  const pending = new Promise<string>(() => undefined);
  const ticker: RequestSpec<string> = {
    priority: 3,
    endpoint: 'GET /fapi/v1/ticker/price',
    weight: 1,
    orders: 0,
    run: () => pending,
  };
  for (let i = 0; i <= QUEUED; i++) void scheduler.submit(ticker).catch(() => undefined);
  scheduler.observeRateLimit(429, 600_000);

  let invokedAt = 0;
  const resolved = Promise.resolve('filled');
  const close: RequestSpec<string> = {
    priority: 0,
    endpoint: 'POST /fapi/v1/order',
    weight: 0,
    orders: 1,
    run: () => {
      invokedAt = performance.now();
      return resolved;
    },
  };
  const samples: number[] = [];
  for (let i = 0; i < P0_WARMUP + P0_SAMPLES; i++) {
    const submittedAt = performance.now();
    void scheduler.submit(close);
    if (i >= P0_WARMUP) samples.push(invokedAt - submittedAt);
  }
  samples.sort((a, b) => a - b);
  const stats = scheduler.stats();
  if (stats.breaker !== 'block') throw new Error(`expected the breaker to block, got ${stats.breaker}`);
  const lane3 = stats.lanes[3];
  scheduler.stop('bench over');
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), lane3Queued: lane3?.queued ?? 0, lane3Sent: lane3?.sent ?? 0 };
}

/** ccxt's real binanceusdm throttler: time until a close queued behind `queued` calls is let go. */
async function measureCcxtThrottle(queued: number): Promise<number> {
  const exchange = new ccxt.binanceusdm({ enableRateLimit: true });
  const startedAt = performance.now();
  const ahead: Promise<unknown>[] = [];
  for (let i = 0; i < queued; i++) ahead.push(exchange.throttle(1) as Promise<unknown>);
  await (exchange.throttle(1) as Promise<unknown>);
  const elapsedMs = performance.now() - startedAt;
  await Promise.all(ahead);
  return elapsedMs;
}

/** Mean submit() → run() time for lane 1-3 requests when the budget never holds them. */
async function measureOverhead(): Promise<number> {
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  const scheduler = new LaneScheduler({
    clock,
    logger: silentLogger,
    limits: {
      weightPerMinute: Number.POSITIVE_INFINITY,
      ordersPer10s: Number.POSITIVE_INFINITY,
      ordersPerMinute: Number.POSITIVE_INFINITY,
    },
    maxInFlight: { 1: Number.POSITIVE_INFINITY, 2: Number.POSITIVE_INFINITY, 3: Number.POSITIVE_INFINITY },
  });
  const resolved = Promise.resolve(0);
  let invokedAt = 0;
  const run = (): Promise<number> => {
    invokedAt = performance.now();
    return resolved;
  };
  const specs = ([1, 2, 3] as const).map((priority) => ({
    priority,
    endpoint: 'GET /fapi/v1/ticker/price',
    weight: 1,
    orders: 0 as const,
    run,
  }));
  let totalMs = 0;
  let measured = 0;
  for (let i = 0; i < OVERHEAD_REQUESTS; i++) {
    const submittedAt = performance.now();
    void scheduler.submit(specs[i % 3] as RequestSpec<number>);
    if (invokedAt < submittedAt) throw new Error('a request was not dispatched synchronously with an unlimited budget');
    totalMs += invokedAt - submittedAt;
    measured++;
    if (i % 1_000 === 999) await flush();
  }
  await flush();
  return totalMs / measured;
}

interface SimResult {
  peakWeightPerMin: number;
  peakFromStats: number;
  requests: number;
  cacheHits: number;
  dropped: number;
}

/**
 * Ten minutes of the live bot's request mix on a ManualClock: start-up, the controller's 2 s
 * position read (lane 1) and ticker reads for 2 open positions, 10 s balance (lane 2), 5 s
 * tickers and a 5-minute closed-candle klines read for 5 symbols (lane 3, via the cache).
 */
async function simulateTenMinutes(): Promise<SimResult> {
  const start = Date.UTC(2025, 0, 1);
  const clock = new ManualClock(start);
  const scheduler = new LaneScheduler({ clock, logger: silentLogger });
  const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT'];
  const openPositions = symbols.slice(0, 2);
  const weightByMinute = new Map<number, number>();
  let requests = 0;
  let peakFromStats = 0;

  const request = <T>(priority: Priority, endpoint: string, params: Record<string, unknown>, value: T): RequestSpec<T> => {
    const cost = costOf(endpoint, params);
    return {
      priority,
      endpoint,
      weight: cost.weight,
      orders: cost.orders,
      run: () => {
        requests++;
        const minute = Math.floor((clock.now() - start) / 60_000);
        weightByMinute.set(minute, (weightByMinute.get(minute) ?? 0) + cost.weight);
        return Promise.resolve(value);
      },
    };
  };
  const tickerSpec = (symbol: string): RequestSpec<Ticker> =>
    request(3, 'GET /fapi/v1/ticker/price', { symbol }, { symbol, last: 100, mark: null, timestamp: clock.now() });
  const inflight: Promise<unknown>[] = [];
  const track = (p: Promise<unknown>): void => void inflight.push(p.catch(() => undefined));

  // Start-up.
  track(scheduler.submit(request(2, 'GET /fapi/v1/exchangeInfo', {}, null)));
  track(scheduler.submit(request(2, 'GET /fapi/v1/leverageBracket', {}, null)));
  for (const symbol of symbols) {
    track(scheduler.submit(request(3, 'GET /fapi/v1/klines', { symbol, interval: '5m', limit: 500 }, null)));
  }

  const tenMinutesMs = 10 * 60_000;
  for (let t = 0; t <= tenMinutesMs; t += 1_000) {
    clock.set(start + t);
    if (t % 60_000 === 59_000) peakFromStats = Math.max(peakFromStats, scheduler.stats().usedWeight1m);
    if (t % 2_000 === 0) {
      track(scheduler.submit(request(1, 'GET /fapi/v3/positionRisk', {}, [])));
      for (const symbol of openPositions) track(scheduler.submitTicker(symbol, tickerSpec(symbol)));
    }
    if (t % 10_000 === 0) track(scheduler.submit(request(2, 'GET /fapi/v3/balance', {}, null)));
    if (t % 5_000 === 0) for (const symbol of symbols) track(scheduler.submitTicker(symbol, tickerSpec(symbol)));
    // One second after each 5-minute close: the closed candle (limit 2 = the closed one and the open one).
    if (t % 300_000 === 1_000) {
      for (const symbol of symbols) {
        track(scheduler.submit(request(3, 'GET /fapi/v1/klines', { symbol, interval: '5m', limit: 2 }, null)));
      }
    }
    await flush();
  }
  await Promise.all(inflight);
  const stats = scheduler.stats();
  const dropped = stats.lanes.reduce((sum, lane) => sum + lane.dropped + lane.queued, 0);
  return {
    peakWeightPerMin: Math.max(...weightByMinute.values()),
    peakFromStats,
    requests,
    cacheHits: stats.tickerCacheHits ?? 0,
    dropped,
  };
}

export async function run(emit: Emit): Promise<void> {
  const p0 = measureP0Dispatch();
  if (p0.lane3Sent !== 1 || p0.lane3Queued !== QUEUED) {
    throw new Error(`lane 3 should hold ${QUEUED} queued with 1 sent, got ${p0.lane3Queued} queued, ${p0.lane3Sent} sent`);
  }

  const ccxtMs: number[] = [];
  for (const queued of CCXT_PREFIXES) ccxtMs.push(await measureCcxtThrottle(queued));
  const [t200 = Number.NaN, t400 = Number.NaN] = ccxtMs;
  const perRequestMs = t400 / CCXT_PREFIXES[1];
  const linearity = t400 / t200 / (CCXT_PREFIXES[1] / CCXT_PREFIXES[0]);
  const ex = new ccxt.binanceusdm({ enableRateLimit: true });
  emit({
    name: 'ccxt_throttle_close_ms',
    value: Math.round(perRequestMs * QUEUED),
    unit: 'ms',
    note:
      `extrapolated: ccxt ${ccxt.version} binanceusdm throttler (rateLimit ${ex.rateLimit} ms, leaky bucket, real settings) ` +
      `measured ${round(t200, 1)} ms for a close behind ${CCXT_PREFIXES[0]} queued throttle(1) calls and ${round(t400, 1)} ms behind ${CCXT_PREFIXES[1]} ` +
      `(${round(perRequestMs, 3)} ms per queued request; 400/200 time ratio ÷ 2 = ${round(linearity, 3)}, linear); value = per-request × ${QUEUED}`,
  });
  emit({ name: 'p0_dispatch_p50_ms', value: round(p0.p50), unit: 'ms', baseline: 'ccxt_throttle_close_ms' });
  emit({
    name: 'p0_dispatch_p99_ms',
    value: round(p0.p99),
    unit: 'ms',
    baseline: 'ccxt_throttle_close_ms',
    note: `${P0_SAMPLES} closes, each submit() → run() with ${QUEUED} lane-3 requests queued and the breaker blocking (429)`,
  });

  const overheadMs = await measureOverhead();
  emit({
    name: 'scheduler_overhead_per_request_ms',
    value: round(overheadMs, 5),
    unit: 'ms',
    note: `mean submit() → run() over ${OVERHEAD_REQUESTS} lane 1-3 requests, unlimited budget`,
  });

  const sim = await simulateTenMinutes();
  if (sim.peakFromStats > sim.peakWeightPerMin) throw new Error('scheduler counted more weight than was sent');
  emit({
    name: 'sim_weight_per_min_peak',
    value: sim.peakWeightPerMin,
    unit: 'weight',
    baseline: 1200,
    note:
      '10 simulated minutes: start-up (exchangeInfo, leverageBracket, klines limit 500 × 5), positionRisk every 2 s (lane 1), ' +
      `balance every 10 s (lane 2), ticker/price for 5 symbols every 5 s + the controller's tickers of 2 open positions every 2 s ` +
      `through the 5 s cache (${sim.cacheHits} cache hits), klines limit 2 × 5 symbols per 5-minute close; ` +
      `${sim.dropped} requests dropped or left queued; weight of a ticker ${weightFor('GET /fapi/v1/ticker/price', { symbol: 'X' })}`,
  });
  emit({ name: 'sim_requests_10min', value: sim.requests, unit: 'requests' });
}
