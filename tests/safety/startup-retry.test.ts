/**
 * Start-up survives what Binance really does (issue 9, "One transient error at start-up exits
 * the process"): the bot process in live mode, real ccxt, the fake Binance answering the
 * first requests of each start-up step with a transient fault. Only fatal errors exit.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retryStartup } from '../../src/adapters/binance/startup-retry.js';
import { ManualClock } from '../../src/adapters/clock.js';
import { FatalExchangeError, RateLimitedError, RetryableExchangeError } from '../../src/errors.js';
import { MemoryLogger } from '../../src/logger.js';
import { botDir, liveEnv, useBotRig } from '../helpers/bot.js';
import type { Spawned } from '../helpers/process.js';

const rig = useBotRig();

const startLive = (dir: string, url: string): Spawned => rig.start(dir, { ...liveEnv(url), POSITION_CHECK_INTERVAL_MS: '1000' });

describe('live start-up against transient faults', () => {
  it('retries a 429 on exchangeInfo, a -1021 on leverageBracket, a 503 and a timeout on positions and a 500 on warm-up klines, then trades', async () => {
    const fake = await rig.fakeBinance();
    fake.inject('GET /fapi/v1/exchangeInfo', { kind: 'rate_limit', status: 429, retryAfterSec: 1 });
    fake.inject('GET /fapi/v1/leverageBracket', { kind: 'binance_error', code: -1021 });
    fake.inject('GET /fapi/v3/positionRisk', { kind: 'server_error', status: 503 });
    fake.inject('GET /fapi/v3/positionRisk', { kind: 'timeout', holdMs: 200 });
    fake.inject('GET /fapi/v1/klines', { kind: 'server_error', status: 500 });
    const dir = botDir('startup-retry-');
    const bot = startLive(dir, fake.url);
    await bot.waitFor(/signals warmed up on live candles/, 90_000);
    const out = bot.stdout + bot.stderr;
    expect(out).toMatch(/loading exchange rules failed \(transient\); retrying in \d+ ms/);
    expect(out).toMatch(/reconciling with the exchange failed \(transient\); retrying/);
    expect(out).toMatch(/warm-up candles of BTCUSDT failed \(transient\); retrying/);
    expect(out).toContain('clock skew against Binance corrected');
    // Every injected fault was met, and each step went on after it.
    expect(fake.requests.filter((r) => r.fault !== null)).toHaveLength(5);
    // The 429's Retry-After (1 s) was honoured before exchangeInfo was asked again.
    const infos = fake.requests.filter((r) => r.path === '/fapi/v1/exchangeInfo');
    expect(infos.length).toBeGreaterThanOrEqual(2);
    expect(infos[1]!.at - infos[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(out).not.toMatch(/could not start/);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 120_000);

  it('exits on a revoked key at once, saying what to fix, without retrying', async () => {
    const fake = await rig.fakeBinance();
    fake.inject('GET /fapi/v3/positionRisk', { kind: 'binance_error', code: -2015, status: 401 }, 100);
    const dir = botDir('startup-fatal-');
    const bot = startLive(dir, fake.url);
    const code = await bot.exited;
    expect(code).toBe(1);
    expect(bot.stderr).toMatch(/trading could not start: FatalExchangeError: Binance -2015/);
    expect(bot.stderr).toContain('check BINANCE_API_KEY / BINANCE_API_SECRET');
    expect(fake.requests.filter((r) => r.path === '/fapi/v3/positionRisk')).toHaveLength(1);
  }, 90_000);
});

describe('retryStartup', () => {
  it('backs off exponentially with jitter, capped, and never before a Retry-After', () => {
    const half = { random: () => 0.5 };
    expect([1, 2, 3, 4, 8].map((n) => backoffDelayMs(n, new RetryableExchangeError('x'), half))).toEqual([
      750, 1_500, 3_000, 6_000, 45_000,
    ]);
    expect(backoffDelayMs(1, new RetryableExchangeError('x'), { random: () => 0 })).toBe(500);
    expect(backoffDelayMs(1, new RateLimitedError('418', 120_000, 418), half)).toBe(120_000);
  });

  it('gives up after the attempts with the last transient error, and throws a fatal one at once', async () => {
    const clock = new ManualClock(0);
    const sleeps: number[] = [];
    clock.sleep = async (ms: number) => {
      sleeps.push(ms);
    };
    let calls = 0;
    const failing = retryStartup(
      'x',
      async () => {
        calls++;
        throw new RetryableExchangeError(`503 #${calls}`);
      },
      { clock, logger: new MemoryLogger(), maxAttempts: 3, random: () => 1 },
    );
    await expect(failing).rejects.toThrow('503 #3');
    expect(sleeps).toEqual([1_000, 2_000]);
    calls = 0;
    const fatal = retryStartup(
      'y',
      async () => {
        calls++;
        throw new FatalExchangeError('-2015', '-2015');
      },
      { clock, logger: new MemoryLogger() },
    );
    await expect(fatal).rejects.toBeInstanceOf(FatalExchangeError);
    expect(calls).toBe(1);
  });
});
