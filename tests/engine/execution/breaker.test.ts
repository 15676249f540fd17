import { describe, expect, it } from 'vitest';
import { RateLimitBreaker } from '../../../src/engine/execution/breaker.js';

const LIMIT = 2400;

describe('RateLimitBreaker', () => {
  it('moves ok → warn at 60 %, → throttle at 80 %, and back to ok when usage falls', () => {
    const breaker = new RateLimitBreaker();
    expect(breaker.update(1_000, LIMIT, 0)).toBeNull();
    expect(breaker.update(1_440, LIMIT, 0)).toMatchObject({ from: 'ok', to: 'warn', usedWeight: 1_440 });
    expect(breaker.update(1_500, LIMIT, 0)).toBeNull();
    expect(breaker.update(1_920, LIMIT, 0)).toMatchObject({ from: 'warn', to: 'throttle' });
    expect(breaker.lane3Mode()).toBe('slow');
    breaker.update(2_160, LIMIT, 0);
    expect(breaker.lane3Mode()).toBe('cache_or_drop');
    expect(breaker.update(0, LIMIT, 60_000)).toMatchObject({ from: 'throttle', to: 'ok' });
    expect(breaker.lane3Mode()).toBe('normal');
  });

  it('blocks every lane but 0 on 429 until Retry-After', () => {
    const breaker = new RateLimitBreaker();
    const transition = breaker.onRateLimit(429, 5_000, 100, LIMIT, 1_000);
    expect(transition).toMatchObject({ to: 'block' });
    expect(transition?.reason).toMatch(/429/);
    expect(breaker.blockedUntil).toBe(6_000);
    expect(breaker.laneOpen(0)).toBe(true);
    expect(breaker.laneOpen(1)).toBe(false);
    expect(breaker.update(100, LIMIT, 5_999)).toBeNull();
    expect(breaker.update(100, LIMIT, 6_000)).toMatchObject({ from: 'block', to: 'ok' });
    expect(breaker.blockedUntil).toBeNull();
    expect(breaker.last429At).toBe(1_000);
  });

  it('treats 418 as a ban: at least two minutes, and a later 429 does not shorten it', () => {
    const breaker = new RateLimitBreaker();
    breaker.onRateLimit(418, 1_000, 0, LIMIT, 0);
    expect(breaker.blockedUntil).toBe(120_000);
    breaker.onRateLimit(429, 1_000, 0, LIMIT, 10_000);
    expect(breaker.blockedUntil).toBe(120_000);
    expect(breaker.last418At).toBe(0);
    expect(breaker.last429At).toBe(10_000);
  });

  it('takes its thresholds from configuration', () => {
    const breaker = new RateLimitBreaker({
      warnPct: 0.5,
      throttlePct: 0.7,
      dropPct: 0.75,
      lane3IntervalMs: 100,
      min429BlockMs: 0,
      min418BlockMs: 0,
    });
    expect(breaker.update(1_200, LIMIT, 0)?.to).toBe('warn');
    expect(
      () => new RateLimitBreaker({ warnPct: 0.9, throttlePct: 0.8, dropPct: 0.95, lane3IntervalMs: 1, min429BlockMs: 0, min418BlockMs: 0 }),
    ).toThrow(/must rise/);
  });
});
