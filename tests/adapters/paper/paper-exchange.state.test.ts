/**
 * The paper venue's state is saved with the engine snapshot and must resume exactly:
 * toJSON → JSON text → fromJSON gives the same state and the same future.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/clock.js';
import { PaperExchange } from '../../../src/adapters/paper/index.js';
import type { PaperExchangeDeps, PaperState } from '../../../src/adapters/paper/index.js';
import { roundPrice } from '../../../src/engine/exchange-rules.js';
import type { ClosedCandle } from '../../../src/engine/ports.js';
import { silentLogger } from '../../../src/logger.js';
import { FIVE_MIN_MS, closedCandles, loadCrashFixture, limitOrder, marketOrder, stopOrder, utc } from './crash-fixture.js';
import type { CrashFixture } from './crash-fixture.js';

let fixture: CrashFixture;
beforeAll(async () => {
  fixture = await loadCrashFixture();
});

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] as const;

/** All symbols' candles of each close time, in time order. */
function batches(fromIso: string, toIso: string): ClosedCandle[][] {
  const bySymbol = SYMBOLS.map((s) => closedCandles(fixture, s, utc(fromIso), utc(toIso)));
  return bySymbol[0]!.map((_, i) => bySymbol.map((candles) => candles[i]!));
}

function feedAll(exchange: PaperExchange, clock: ManualClock, fromIso: string, toIso: string): void {
  for (const batch of batches(fromIso, toIso)) {
    exchange.onCandles(batch);
    clock.set(batch[0]!.candle.timestamp + FIVE_MIN_MS);
  }
}

function deps(clock: ManualClock): PaperExchangeDeps {
  return { rules: fixture.rules, clock, logger: silentLogger, funding: fixture.funding };
}

/** A busy venue: positions on three symbols with stops and take-profits, funding paid, orders pending, events undrained. */
async function busyVenue(): Promise<{ exchange: PaperExchange; clock: ManualClock }> {
  const clock = new ManualClock(utc('2025-10-10T12:00'));
  const exchange = new PaperExchange({ ...deps(clock), startingBalanceUsdt: 5000 });
  feedAll(exchange, clock, '2025-10-10T12:00', '2025-10-10T15:00');
  await exchange.setLeverage('BTCUSDT', 10);
  await exchange.setLeverage('ETHUSDT', 5);
  await exchange.setLeverage('SOLUSDT', 3);
  await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.1, 'btc-e'), 1);
  await exchange.placeOrder(marketOrder('ETHUSDT', 'sell', 0.5, 'eth-e'), 1);
  feedAll(exchange, clock, '2025-10-10T15:00', '2025-10-10T15:05');
  const btc = (await exchange.fetchOrder('BTCUSDT', 'btc-e'))!.averagePrice!;
  const eth = (await exchange.fetchOrder('ETHUSDT', 'eth-e'))!.averagePrice!;
  await exchange.placeOrder(stopOrder('BTCUSDT', 'sell', 0.1, roundPrice(btc * 0.9, 0.1, 'down'), 'btc-sl'), 0);
  await exchange.placeOrder(limitOrder('BTCUSDT', 'sell', 0.1, roundPrice(btc * 1.1, 0.1, 'up'), 'btc-tp', true), 0);
  await exchange.placeOrder(stopOrder('ETHUSDT', 'buy', 0.5, roundPrice(eth * 1.02, 0.01, 'up'), 'eth-sl'), 0);
  feedAll(exchange, clock, '2025-10-10T15:05', '2025-10-10T20:55');
  const sol = exchange.lastPriceOf('SOLUSDT')!;
  await exchange.placeOrder(limitOrder('SOLUSDT', 'buy', 5, roundPrice(sol * 0.95, 0.001, 'down'), 'sol-bid'), 1);
  await exchange.placeOrder(marketOrder('SOLUSDT', 'buy', 2, 'sol-e'), 1);
  return { exchange, clock };
}

describe('PaperExchange state', () => {
  it('round-trips through toJSON, JSON text and fromJSON exactly', async () => {
    const { exchange, clock } = await busyVenue();
    const state = exchange.toJSON();
    expect(state.positions.length).toBeGreaterThan(0);
    expect(state.orders.some((o) => o.state.status === 'new')).toBe(true);
    expect(state.fundingPayments.length).toBeGreaterThan(0);
    expect(state.events.length).toBeGreaterThan(0);

    const parsed = JSON.parse(JSON.stringify(state)) as PaperState;
    expect(parsed).toEqual(state);
    const restored = PaperExchange.fromJSON(parsed, deps(new ManualClock(clock.now())));
    expect(restored.toJSON()).toEqual(state);
    expect(JSON.stringify(restored.toJSON())).toBe(JSON.stringify(state));
    expect(await restored.fetchBalance()).toEqual(await exchange.fetchBalance());
    expect(await restored.fetchPositions(1)).toEqual(await exchange.fetchPositions(1));
    expect(await restored.fetchOpenOrders()).toEqual(await exchange.fetchOpenOrders());
    expect(await restored.fetchOrder('BTCUSDT', 'btc-e')).toEqual(await exchange.fetchOrder('BTCUSDT', 'btc-e'));
  });

  it('behaves identically after a restore: both copies continued over the crash give the same events and state', async () => {
    const { exchange, clock } = await busyVenue();
    const restoredClock = new ManualClock(clock.now());
    const restored = PaperExchange.fromJSON(JSON.parse(JSON.stringify(exchange.toJSON())) as PaperState, deps(restoredClock));

    feedAll(exchange, clock, '2025-10-10T20:55', '2025-10-11T06:00');
    feedAll(restored, restoredClock, '2025-10-10T20:55', '2025-10-11T06:00');
    // The same follow-up orders on both.
    for (const venue of [exchange, restored]) {
      await venue.placeOrder(marketOrder('ETHUSDT', 'buy', 0.2, 'late'), 1).catch(() => undefined);
    }

    const original = exchange.drainEvents();
    const copy = restored.drainEvents();
    expect(copy).toEqual(original);
    expect(original.some((e) => e.kind === 'fill')).toBe(true);
    expect(original.some((e) => e.kind === 'funding')).toBe(true);
    expect(restored.toJSON()).toEqual(exchange.toJSON());
    expect(await restored.fetchBalance()).toEqual(await exchange.fetchBalance());
  });

  it('round-trips between openCandle and finishCandle and finishes the candle identically', async () => {
    const { exchange, clock } = await busyVenue();
    feedAll(exchange, clock, '2025-10-10T20:55', '2025-10-10T21:15');
    await exchange.placeOrder(marketOrder('SOLUSDT', 'buy', 1, 'sol-2'), 1);
    const batch = batches('2025-10-10T21:15', '2025-10-10T21:20')[0]!;
    clock.set(batch[0]!.candle.timestamp);
    for (const closed of batch) exchange.openCandle(closed);
    await exchange.placeOrder(
      {
        symbol: 'SOLUSDT',
        side: 'sell',
        type: 'stop_market',
        quantity: 1,
        stopPrice: roundPrice(exchange.lastPriceOf('SOLUSDT')! * 0.97, 0.001, 'down'),
        reduceOnly: true,
        clientOrderId: 'sol-2-sl',
      },
      0,
    );
    const restored = PaperExchange.fromJSON(
      JSON.parse(JSON.stringify(exchange.toJSON())) as PaperState,
      deps(new ManualClock(clock.now())),
    );
    for (const venue of [exchange, restored]) for (const closed of batch) venue.finishCandle(closed);
    expect(restored.drainEvents()).toEqual(exchange.drainEvents());
    expect(restored.toJSON()).toEqual(exchange.toJSON());
  });

  it('restore() replaces the whole state of an existing instance', async () => {
    const { exchange, clock } = await busyVenue();
    const state = exchange.toJSON();
    const other = new PaperExchange(deps(new ManualClock(clock.now())));
    other.restore(state);
    expect(other.toJSON()).toEqual(state);
  });
});
