/**
 * The idle fast path (a symbol with no position and no open order) must leave the venue in
 * exactly the state the full candle walk leaves it in.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/clock.js';
import { PaperExchange } from '../../../src/adapters/paper/index.js';
import { silentLogger } from '../../../src/logger.js';
import { FIVE_MIN_MS, closedCandles, loadCrashFixture, marketOrder, utc } from './crash-fixture.js';
import type { CrashFixture } from './crash-fixture.js';

let fixture: CrashFixture;
beforeAll(async () => {
  fixture = await loadCrashFixture();
});

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'] as const;

function venue(fullWalkAlways: boolean): { exchange: PaperExchange; clock: ManualClock } {
  const clock = new ManualClock(utc('2025-10-10T12:00'));
  const exchange = new PaperExchange({ rules: fixture.rules, clock, logger: silentLogger, funding: fixture.funding });
  // The reference: never take the idle shortcut.
  if (fullWalkAlways) (exchange as unknown as { isIdle: () => boolean }).isIdle = () => false;
  return { exchange, clock };
}

describe('paper exchange idle fast path', () => {
  it('leaves the same state as the full walk, candle by candle, through entries, exits and funding', async () => {
    const fast = venue(false);
    const full = venue(true);
    const bySymbol = SYMBOLS.map((s) => closedCandles(fixture, s, utc('2025-10-10T12:00'), utc('2025-10-11T06:00')));
    const steps = bySymbol[0]!.length;
    expect(steps).toBeGreaterThan(100);
    for (let i = 0; i < steps; i++) {
      for (const { exchange, clock } of [fast, full]) {
        const batch = bySymbol.map((candles) => candles[i]!);
        clock.set(batch[0]!.candle.timestamp);
        for (const closed of batch) exchange.openCandle(closed);
        for (const closed of batch) exchange.finishCandle(closed);
        clock.set(batch[0]!.candle.timestamp + FIVE_MIN_MS);
        // Trade now and then so both idle and busy stretches are covered (a position held over 16:00 pays funding).
        if (i === 10) exchange.placeOrderNow(marketOrder('BTCUSDT', 'buy', 0.01, `e${i}`));
        if (i === 60) exchange.placeOrderNow(marketOrder('BTCUSDT', 'sell', 0.01, `x${i}`, true));
        if (i === 70) exchange.placeOrderNow(marketOrder('ETHUSDT', 'sell', 0.2, `e${i}`));
        if (i === 150) exchange.placeOrderNow(marketOrder('ETHUSDT', 'buy', 0.2, `x${i}`, true));
      }
      expect(fast.exchange.toJSON(), `state after candle ${i}`).toEqual(full.exchange.toJSON());
    }
    expect(fast.exchange.totalsSoFar().fills).toBe(4);
    expect((await fast.exchange.fetchFundingPayments('BTCUSDT', 0)).length).toBeGreaterThan(0);
  });
});
