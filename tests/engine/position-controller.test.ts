/**
 * The position loop on a ManualClock: one positions request per tick, ticks that never
 * overlap (a slow one is coalesced, its lag logged and exposed), failures that do not stop
 * the loop, a slow store, stop() waiting for the tick in flight, and ticks asked for by hand.
 */
import { describe, expect, it } from 'vitest';
import { RetryableExchangeError } from '../../src/errors.js';
import { settle } from './helpers/recording-exchange.js';
import { TraderHarness } from './helpers/trader-harness.js';

const INTERVAL_MS = 2_000;

/** Moves the clock in steps of `stepMs`, letting each tick's promise chain finish. Bounded. */
async function run(h: TraderHarness, totalMs: number, stepMs = INTERVAL_MS): Promise<void> {
  for (let done = 0; done < totalMs; done += stepMs) {
    h.clock.advance(Math.min(stepMs, totalMs - done));
    await settle();
  }
}

/** Starts the loop; its first tick is due now and fires when the clock is next moved (here by 0). */
async function start(h: TraderHarness): Promise<void> {
  h.controller.start();
  h.clock.advance(0);
  await settle();
}

describe('PositionController', () => {
  it('ticks every intervalMs on the clock with exactly one positions request per tick, also with no open position', async () => {
    const h = new TraderHarness();
    await start(h);
    await run(h, 5 * INTERVAL_MS);
    await h.controller.stop();

    expect(h.controller.stats().ticks).toBe(6);
    expect(h.exchange.count('fetchPositions')).toBe(6);
    expect(h.exchange.calls('fetchPositions').map((c) => c.at - h.exchange.calls('fetchPositions')[0]!.at)).toEqual([
      0, 2000, 4000, 6000, 8000, 10000,
    ]);
    expect(h.exchange.calls('fetchPositions').every((c) => c.priority === 1)).toBe(true);
    // Nothing else is asked of the exchange when nothing is open.
    expect(h.exchange.calls().length).toBe(6);
    expect(h.controller.stats()).toMatchObject({ failedTicks: 0, coalesced: 0, lastLagMs: 0, running: false });
  });

  it('makes one positions request per tick with open positions', async () => {
    const h = new TraderHarness({ symbols: ['BTCUSDT', 'BTC2USDT'], clonesOfBtc: ['BTC2USDT'] });
    await h.openPosition();
    await h.openPosition({ symbol: 'BTC2USDT' });
    const before = h.exchange.count('fetchPositions');
    await start(h);
    await run(h, 10 * INTERVAL_MS);
    await h.controller.stop();
    expect(h.exchange.count('fetchPositions') - before).toBe(11);
    expect(h.controller.stats().ticks).toBe(11);
  });

  it('never overlaps a slow tick: the due ticks are coalesced, counted and logged with the lag', async () => {
    const h = new TraderHarness();
    const slow = h.exchange.holdNext('fetchPositions');
    const startedAt = h.clock.now();
    await start(h);
    await slow.reached;
    // 7 s pass while the first tick waits for the exchange: the ticks due at 2, 4 and 6 s do not start.
    await run(h, 7_000, 500);
    expect(h.exchange.count('fetchPositions')).toBe(1);

    slow.release();
    await settle();
    h.clock.advance(0);
    await settle();
    // One catch-up tick at 7 s stands for the three due ones: two were coalesced, 5 s late.
    expect(h.exchange.count('fetchPositions')).toBe(2);
    expect(h.exchange.calls('fetchPositions')[1]!.at - startedAt).toBe(7_000);
    expect(h.controller.stats().coalesced).toBe(2);
    expect(h.controller.stats().lastLagMs).toBe(5_000);
    const lagLines = h.logged('ticks coalesced', 'warn');
    expect(lagLines).toHaveLength(1);
    expect(lagLines[0]!.fields).toMatchObject({ lagMs: 5_000, coalesced: 2 });
    expect(lagLines[0]!.component).toBe('position-controller');

    // Back on the grid: the next tick is due at 8 s, on time.
    await run(h, 1_000, 500);
    expect(h.exchange.calls('fetchPositions').map((c) => c.at - startedAt)).toEqual([0, 7_000, 8_000]);
    expect(h.controller.stats().lastLagMs).toBe(0);
    await h.controller.stop();
  });

  it('logs a tick that throws and keeps ticking', async () => {
    const h = new TraderHarness();
    h.exchange.failNext('fetchPositions', new RetryableExchangeError('502 Bad Gateway from /fapi/v2/positionRisk'));
    await start(h);
    await run(h, 3 * INTERVAL_MS);
    await h.controller.stop();

    expect(h.controller.stats()).toMatchObject({ ticks: 3, failedTicks: 1 });
    expect(h.exchange.count('fetchPositions')).toBe(4);
    const failed = h.logged('position tick failed', 'error');
    expect(failed).toHaveLength(1);
    expect(String(failed[0]!.fields?.['error'])).toContain('502 Bad Gateway');
  });

  it('keeps ticking after a slow store write, without overlapping it', async () => {
    const h = new TraderHarness();
    await h.openPosition();
    h.trader.requestExit('BTCUSDT', 'manual');
    const slowStore = h.holdNextPersist();
    const before = h.exchange.count('fetchPositions');
    await start(h);
    await slowStore.reached;
    await run(h, 10 * INTERVAL_MS);
    expect(h.exchange.count('fetchPositions') - before).toBe(1);

    slowStore.release();
    await settle();
    h.price('BTCUSDT', 100_000);
    await run(h, 3 * INTERVAL_MS);
    await h.controller.stop();
    expect(h.exchange.count('fetchPositions') - before).toBeGreaterThanOrEqual(4);
    expect(h.trades().map((t) => t.exitReason)).toEqual(['manual']);
    expect(h.controller.stats().coalesced).toBeGreaterThan(0);
  });

  it('stop() waits for the tick in flight and no tick starts afterwards', async () => {
    const h = new TraderHarness();
    const slow = h.exchange.holdNext('fetchPositions');
    await start(h);
    await slow.reached;
    let stopped = false;
    const stopping = h.controller.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    slow.release();
    await stopping;
    expect(stopped).toBe(true);
    expect(h.controller.stats()).toMatchObject({ ticks: 1, running: false });

    await run(h, 5 * INTERVAL_MS);
    expect(h.exchange.count('fetchPositions')).toBe(1);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('runs a tick asked for while one is running right after it, so a close request made meanwhile is acted on', async () => {
    const h = new TraderHarness();
    await h.openPosition();
    const before = h.exchange.count('fetchPositions');
    const slow = h.exchange.holdNext('fetchPositions');
    const running = h.controller.tick();
    await slow.reached;
    h.trader.requestExit('BTCUSDT', 'emergency');
    const first = h.controller.tick();
    const second = h.controller.tick();
    slow.release();
    await Promise.all([running, first, second]);

    // The running tick, then one more shared by both callers; never two at once.
    expect(h.exchange.count('fetchPositions') - before).toBe(2);
    const close = h.exchange.calls('placeOrder').find((c) => c.detail?.startsWith('slt_c_'));
    expect(close?.priority).toBe(0);
    expect(h.trader.managedPositions()[0]!.exitReason).toBe('emergency');
  });

  it('reads no balance from its ticks, whatever their number', async () => {
    const h = new TraderHarness();
    await h.openPosition();
    await start(h);
    await run(h, 60_000);
    await h.controller.stop();
    expect(h.exchange.count('fetchBalance')).toBe(0);
    expect(h.controller.stats().ticks).toBe(31);
  });

  it('works from its own position state while the positions cannot be read, and still sends a close on priority 0', async () => {
    let readable = true;
    const h = new TraderHarness({ positionsReadable: () => readable });
    const position = await h.openPosition();
    readable = false; // a 429/418 block: every lane but 0 waits
    const readsBefore = h.exchange.count('fetchPositions');
    expect(h.trader.requestExit(position.symbol, 'emergency')).toBe(true);
    await h.controller.tick();
    expect(h.exchange.count('fetchPositions')).toBe(readsBefore);
    const closes = h.exchange.calls('placeOrder').filter((c) => c.detail?.startsWith('slt_c_') === true);
    expect(closes).toHaveLength(1);
    expect(closes[0]!.priority).toBe(0);
    expect(h.controller.stats().ownStateTicks).toBe(1);
    expect(h.logged('working from own position state', 'warn')).toHaveLength(1);
    // Readable again: the close fills at the next price and the trade is recorded as an emergency exit.
    readable = true;
    h.clock.advance(2_000);
    h.price(position.symbol, position.entryPrice);
    await h.controller.tick();
    expect(h.trades()).toEqual([expect.objectContaining({ symbol: position.symbol, exitReason: 'emergency' })]);
  });
});
