import { describe, expect, it } from 'vitest';
import { TickerCache } from '../../../src/engine/execution/ticker-cache.js';

const ticker = (symbol: string, last: number) => ({ symbol, last, mark: null, timestamp: 0 });

describe('TickerCache', () => {
  it('answers fresh for 5 s, then stale with its age', () => {
    const cache = new TickerCache();
    cache.set(ticker('BTCUSDT', 100), 1_000);
    expect(cache.getFresh('BTCUSDT', 5_999)?.ticker.last).toBe(100);
    expect(cache.getFresh('BTCUSDT', 6_000)).toBeNull();
    expect(cache.get('BTCUSDT', 6_000)).toMatchObject({ stale: true, ageMs: 5_000 });
    expect(cache.get('ETHUSDT', 6_000)).toBeNull();
  });

  it('keeps one value per symbol, the latest', () => {
    const cache = new TickerCache();
    cache.set(ticker('BTCUSDT', 100), 0);
    cache.set(ticker('BTCUSDT', 101), 10);
    cache.set(ticker('ETHUSDT', 5), 10);
    expect(cache.get('BTCUSDT', 10)?.ticker.last).toBe(101);
    expect(cache.size).toBe(2);
  });
});
