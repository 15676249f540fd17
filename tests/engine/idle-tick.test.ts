/**
 * The synchronous idle tick (a replay ticks at every candle close on the paper venue): it may
 * only claim "nothing to do" when the full async tick would change nothing, and must leave
 * every other case to it. Checked case by case and on random walks of prices, cancels, exit
 * requests and time, against the real async `controlTick` on the same state.
 */
import { describe, expect, it } from 'vitest';
import { PositionController } from '../../src/engine/position-controller.js';
import { NOTHING_TO_DO } from '../../src/engine/trader.js';
import { silentLogger } from '../../src/logger.js';
import { TraderHarness } from './helpers/trader-harness.js';

const WRITES = new Set(['exchange.placeOrder', 'exchange.cancelOrder', 'exchange.setLeverage', 'persist', 'recordTrade']);

function idle(h: TraderHarness): boolean {
  return h.trader.idleTick(h.paper.positionsNow(), (symbol) => h.paper.openOrdersNow(symbol));
}

/** Everything a tick could change: the Trader's state, the venue, what was written. */
function observable(h: TraderHarness): string {
  const writes = h.journal.filter((e) => WRITES.has(e.what)).map((e) => `${e.what}:${e.detail}`);
  return JSON.stringify({ trader: h.snapshot(), venue: h.paper.toJSON(), writes, events: h.events.length });
}

/** A second reduce-only stop on the long's exit side, under `clientOrderId` (ours when it starts with slt_). */
function secondStop(h: TraderHarness, clientOrderId: string): void {
  h.paper.placeOrderNow({
    symbol: 'BTCUSDT',
    side: 'sell',
    type: 'stop_market',
    quantity: 0.01,
    stopPrice: 98_000,
    reduceOnly: true,
    clientOrderId,
  });
}

/** Cancels an order if it is still open (a random walk may have filled it). */
function cancelIfOpen(h: TraderHarness, clientOrderId: string | null): void {
  if (clientOrderId !== null && h.paper.openOrdersNow('BTCUSDT').some((o) => o.clientOrderId === clientOrderId)) {
    h.paper.cancelOrderNow('BTCUSDT', clientOrderId);
  }
}

async function protectedPosition(options: ConstructorParameters<typeof TraderHarness>[0] = {}) {
  const h = new TraderHarness({ silent: true, ...options });
  const position = await h.openPosition({ price: 100_000, leverage: 5, slPct: 0.01, tpPct: 0.015 });
  return { h, position };
}

describe('idle tick', () => {
  it('is idle for a protected position: the marks move, and the async tick then changes nothing', async () => {
    const { h } = await protectedPosition();
    h.price('BTCUSDT', 100_200, 100_180);
    expect(idle(h)).toBe(true);
    const before = observable(h);
    await h.tick();
    expect(observable(h)).toBe(before);
  });

  it('leaves every case with something to do to the async tick', async () => {
    const cases: [string, (h: TraderHarness, slId: string, tpId: string) => void | Promise<void>][] = [
      ['stop missing', (h, slId) => h.paper.cancelOrderNow('BTCUSDT', slId)],
      ['take-profit missing', (h, _sl, tpId) => h.paper.cancelOrderNow('BTCUSDT', tpId)],
      ['a second stop of ours', (h) => secondStop(h, 'slt_s_BTCUSDT_extra')],
      ['an exit requested', (h) => void h.trader.requestExit('BTCUSDT', 'manual')],
      ['the position gone', (h) => h.price('BTCUSDT', 98_000)],
      ['mark in the liquidation buffer', (h) => h.price('BTCUSDT', 99_500, h.trader.managedPositions()[0]!.liquidationPrice + 100)],
    ];
    for (const [name, change] of cases) {
      const { h, position } = await protectedPosition();
      expect(idle(h), name).toBe(true);
      await change(h, position.slClientOrderId!, position.tpClientOrderId!);
      h.clock.advance(300_000);
      expect(idle(h), name).toBe(false);
      const before = observable(h);
      await h.tick();
      expect(observable(h), `${name}: the async tick acts`).not.toBe(before);
    }
  });

  it('is conservative: a foreign second stop (which the async tick leaves alone) is not claimed idle', async () => {
    const { h } = await protectedPosition();
    secondStop(h, 'manual-stop');
    expect(idle(h)).toBe(false);
  });

  it('is never idle when a time stop is due, with an exit advisor, or with an entry pending', async () => {
    const timed = await protectedPosition({ trader: { timeStopMs: 3_600_000 } });
    expect(idle(timed.h)).toBe(true);
    timed.h.clock.advance(3_600_000);
    expect(idle(timed.h)).toBe(false);

    const advised = await protectedPosition({ plugs: { exitAdvisor: { adviseExit: () => null } } });
    expect(idle(advised.h)).toBe(false);

    const pending = await protectedPosition({ symbols: ['BTCUSDT', 'ETHUSDT'] });
    const entry = await pending.h.fillEntryOnVenue({ symbol: 'ETHUSDT', price: 3000, size: 0.1 });
    const state = pending.h.trader.exportState();
    pending.h.trader.restoreState({ ...state, pendingOrders: [...state.pendingOrders, entry] });
    expect(idle(pending.h)).toBe(false);
  });

  it('on random walks, claims idle only where the async tick changes nothing', async () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    let idleSteps = 0;
    let busySteps = 0;
    for (let walk = 0; walk < 6; walk++) {
      const { h } = await protectedPosition({ trader: { timeStopMs: 6 * 3_600_000 } });
      let price = 100_000;
      for (let step = 0; step < 120 && h.trader.managedPositions().length > 0; step++) {
        h.clock.advance(300_000);
        price = Math.round(price * (1 + (random() - 0.5) * 0.006) * 10) / 10;
        h.price('BTCUSDT', price, Math.round(price * (1 + (random() - 0.5) * 0.001) * 10) / 10);
        const position = h.trader.managedPositions()[0];
        const roll = random();
        if (position !== undefined && roll < 0.03) cancelIfOpen(h, position.slClientOrderId);
        else if (position !== undefined && roll < 0.06) cancelIfOpen(h, position.tpClientOrderId);
        else if (roll < 0.07) h.trader.requestExit('BTCUSDT', 'manual');
        const claimedIdle = idle(h);
        const before = observable(h);
        await h.tick();
        if (claimedIdle) {
          idleSteps++;
          expect(observable(h), `walk ${walk} step ${step}`).toBe(before);
        } else busySteps++;
      }
    }
    expect(idleSteps).toBeGreaterThan(100);
    expect(busySteps).toBeGreaterThan(5);
  });

  it('the controller finishes an idle tick synchronously on a venue read without requests, and counts it', async () => {
    const { h } = await protectedPosition();
    const controller = new PositionController({
      trader: h.trader,
      exchange: h.paper,
      clock: h.clock,
      logger: silentLogger,
      intervalMs: 300_000,
    });
    expect(controller.tick()).toBe(NOTHING_TO_DO);
    expect(controller.stats().ticks).toBe(1);
    // A stop gone: the async tick runs and puts it back.
    h.paper.cancelOrderNow('BTCUSDT', h.trader.managedPositions()[0]!.slClientOrderId!);
    h.clock.advance(300_000);
    const busy = controller.tick();
    expect(busy).not.toBe(NOTHING_TO_DO);
    await busy;
    expect(controller.stats().ticks).toBe(2);
    expect(h.paper.openOrdersNow('BTCUSDT').filter((o) => o.type === 'stop_market')).toHaveLength(1);
    expect(controller.tick()).toBe(NOTHING_TO_DO);
  });
});
