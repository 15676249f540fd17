/**
 * During a 418 IP ban a close is not re-sent every tick (issue 9): on Binance every request
 * during a ban extends it. The close is tried once, then again when the ban lifts or the
 * price moves by half the stop distance; the exchange stop protects in between. Real ccxt
 * against the fake Binance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveRig } from './live-rig.js';

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

const BAN_SEC = 120;

async function adoptedLongInBan(): Promise<LiveRig> {
  const r = await LiveRig.start();
  r.fake.state.positions.set('BTCUSDT', { symbol: 'BTCUSDT', amount: 0.01, entryPrice: 60_000, updateTime: 0 });
  await r.trader.reconcile();
  // The IP is banned: the position read and the close both answer 418 until Retry-After.
  r.fake.inject('GET /fapi/v3/positionRisk', { kind: 'rate_limit', status: 418, retryAfterSec: BAN_SEC }, 1);
  // Only the first close meets it: a second one sent inside the ban would go through and show.
  r.fake.inject('POST /fapi/v1/order', { kind: 'rate_limit', status: 418, retryAfterSec: BAN_SEC }, 1);
  await r.tick(); // the read meets the ban: the lanes block
  expect(r.scheduler.stats().breaker).toBe('block');
  return r;
}

/**
 * A tick whose close fills: the adapter then waits for the fill's fee (lane 2, blocked by the
 * ban) at most FEE_READ_MAX_WAIT_MS on the engine clock, which is manual here: advanced in
 * small steps until the tick ends (bounded).
 */
async function tickWhileReadsWait(r: LiveRig): Promise<void> {
  let done = false;
  const tick = r.tick().finally(() => {
    done = true;
  });
  for (let i = 0; i < 200 && !done; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    r.clock.advance(100);
  }
  await tick;
}

const closesSent = (r: LiveRig, from: number): number =>
  r.requests('POST /fapi/v1/order', from).filter((q) => q.body['reduceOnly'] === 'true' || q.query['reduceOnly'] === 'true').length;

describe('a close during a 418 ban', () => {
  it('is tried once, not every tick; the exchange stop stays; it goes out again once the ban has lifted', async () => {
    rig = await adoptedLongInBan();
    const r = rig;
    const from = r.fake.requests.length;
    r.trader.requestExit('BTCUSDT', 'manual');
    for (let i = 0; i < 20; i++) await r.tick(); // 40 s of ticks inside the ban
    expect(closesSent(r, from)).toBe(1);
    expect(r.events.some((e) => e.kind === 'safety' && e.safety.kind === 'close_held' && e.safety.symbol === 'BTCUSDT')).toBe(true);
    expect(r.fake.state.algoOrders.filter((a) => a.algoStatus === 'NEW' && a.orderType === 'STOP_MARKET')).toHaveLength(1);
    expect(r.trader.managedPositions()[0]!.exitClientOrderId).toBeNull();
    // The ban lifts.
    r.clock.advance(BAN_SEC * 1_000);
    for (let i = 0; i < 3; i++) await r.tick();
    expect(closesSent(r, from)).toBe(2);
    expect(r.fake.state.positions.has('BTCUSDT')).toBe(false);
  });

  it('goes out again before the ban lifts when the price moves by half the stop distance', async () => {
    rig = await adoptedLongInBan();
    const r = rig;
    const position = r.trader.managedPositions()[0]!;
    const stopDistance = position.entryPrice - position.slPrice;
    const candleAt = (close: number, closeAt: number) => ({
      symbol: 'BTCUSDT',
      candle: { timestamp: closeAt - 300_000, open: close, high: close, low: close, close, volume: 1 },
      mark: null,
    });
    // The last trade price when the close is tried (candles keep coming over the market-data stream during a ban).
    await r.trader.onCandles([candleAt(position.entryPrice, r.clock.now())]);
    r.trader.requestExit('BTCUSDT', 'manual');
    const from = r.fake.requests.length;
    await r.tick();
    await r.tick();
    expect(closesSent(r, from)).toBe(1);
    // A move of 0.4 × the stop distance is not material; 0.6 × is.
    await r.trader.onCandles([candleAt(position.entryPrice - 0.4 * stopDistance, r.clock.now() + 300_000)]);
    await r.tick();
    expect(closesSent(r, from)).toBe(1);
    await r.trader.onCandles([candleAt(position.entryPrice - 0.6 * stopDistance, r.clock.now() + 600_000)]);
    await tickWhileReadsWait(r);
    expect(closesSent(r, from)).toBe(2);
    await r.tick();
    expect(closesSent(r, from)).toBe(2);
  });
});
