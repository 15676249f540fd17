/**
 * No position is ever left without its stop (issue 9): the Trader + PositionController on
 * the Binance adapter (real ccxt) against the fake Binance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeAlgoOrder, FakeOrder } from '../fakes/fake-binance.js';
import { LiveRig, restingStop } from './live-rig.js';

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

const openStops = (r: LiveRig, symbol = 'BTCUSDT'): FakeAlgoOrder[] =>
  r.fake.state.algoOrders.filter((a) => a.symbol === symbol && a.algoStatus === 'NEW' && a.orderType === 'STOP_MARKET');

const openTakeProfits = (r: LiveRig, symbol = 'BTCUSDT'): FakeOrder[] =>
  r.fake.state.orders.filter((o) => o.symbol === symbol && o.status === 'NEW' && o.type === 'LIMIT' && o.reduceOnly);

async function adoptedLong(symbols: readonly string[] = ['BTCUSDT'], trader = {}): Promise<LiveRig> {
  const r = await LiveRig.start({ symbols, trader });
  r.fake.state.positions.set('BTCUSDT', { symbol: 'BTCUSDT', amount: 0.01, entryPrice: 60_000, updateTime: 0 });
  return r;
}

describe('stop protection, checked every tick', () => {
  it('a stop cancelled on the exchange is re-placed within 3 ticks, exactly one', async () => {
    rig = await adoptedLong();
    const summary = await rig.trader.reconcile();
    expect(summary).toMatch(/1 unknown position\(s\) adopted with a protective stop \(BTCUSDT\)/);
    expect(openStops(rig)).toHaveLength(1);
    openStops(rig)[0]!.algoStatus = 'CANCELED'; // a user in the Binance app
    for (let i = 0; i < 3; i++) await rig.tick();
    const stops = openStops(rig);
    expect(stops).toHaveLength(1);
    expect(stops[0]!.reduceOnly).toBe(true);
    expect(stops[0]!.side).toBe('SELL');
    expect(rig.trader.managedPositions()[0]?.slClientOrderId).toBe(stops[0]!.clientAlgoId);
    // Further ticks never add a second one.
    for (let i = 0; i < 3; i++) await rig.tick();
    expect(openStops(rig)).toHaveLength(1);
  });

  it('the mark through a missing stop closes the position with a reduce-only market order within 2 ticks', async () => {
    rig = await adoptedLong();
    await rig.trader.reconcile();
    const slPrice = rig.trader.managedPositions()[0]!.slPrice;
    openStops(rig)[0]!.algoStatus = 'CANCELED';
    rig.fake.setPrice('BTCUSDT', slPrice - 100);
    for (let i = 0; i < 2; i++) await rig.tick();
    expect(rig.fake.state.positions.has('BTCUSDT')).toBe(false);
    const closes = rig.fake.state.orders.filter((o) => o.symbol === 'BTCUSDT' && o.type === 'MARKET' && o.reduceOnly);
    expect(closes).toHaveLength(1);
    expect(openStops(rig)).toHaveLength(0);
  });

  it('after a crash during stop placement the restart attaches the stop that exists: exactly one', async () => {
    rig = await adoptedLong();
    // What the crashed run left: its stop reached Binance, the reply never reached the bot.
    rig.fake.state.algoOrders.push(restingStop(77, 'slt_s_BTCUSDT_crashed', 'BTCUSDT', 'SELL', 59_000, 0.01));
    await rig.trader.reconcile();
    expect(openStops(rig).map((s) => s.clientAlgoId)).toEqual(['slt_s_BTCUSDT_crashed']);
    expect(rig.trader.managedPositions()[0]).toMatchObject({ slClientOrderId: 'slt_s_BTCUSDT_crashed', slPrice: 59_000 });
    for (let i = 0; i < 3; i++) await rig.tick();
    expect(openStops(rig)).toHaveLength(1);
    expect(rig.requests('POST /fapi/v1/algoOrder')).toHaveLength(0);
  });

  it('the start-up summary does not claim a stop that was refused; the stop is retried and the position reported unprotected meanwhile', async () => {
    rig = await adoptedLong();
    rig.fake.inject(
      'POST /fapi/v1/algoOrder',
      { kind: 'binance_error', code: -4120, msg: 'Order type not supported for this endpoint.' },
      1,
    );
    const summary = await rig.trader.reconcile();
    expect(summary).toMatch(/0 unknown position\(s\) adopted with a protective stop \(none\); 1 adopted WITHOUT a stop/);
    expect(openStops(rig)).toHaveLength(0);
    await rig.tick();
    expect(openStops(rig)).toHaveLength(1);
  });
});

describe('take-profit, checked every tick and after a restart', () => {
  it('an adopted position gets its take-profit (a reduce-only limit GTC); cancelled, it is re-placed within 3 ticks, exactly one', async () => {
    rig = await adoptedLong();
    await rig.trader.reconcile();
    const position = rig.trader.managedPositions()[0]!;
    expect(openTakeProfits(rig).map((o) => o.clientOrderId)).toEqual([position.tpClientOrderId]);
    expect(openTakeProfits(rig)[0]).toMatchObject({ side: 'SELL', price: position.tpPrice, timeInForce: 'GTC' });
    openTakeProfits(rig)[0]!.status = 'CANCELED'; // a user in the Binance app
    for (let i = 0; i < 3; i++) await rig.tick();
    const tps = openTakeProfits(rig);
    expect(tps).toHaveLength(1);
    expect(tps[0]!.price).toBe(position.tpPrice);
    expect(rig.trader.managedPositions()[0]!.tpClientOrderId).toBe(tps[0]!.clientOrderId);
    expect(rig.events.some((e) => e.kind === 'safety' && e.safety.kind === 'tp_replaced' && e.safety.symbol === 'BTCUSDT')).toBe(true);
    for (let i = 0; i < 3; i++) await rig.tick();
    expect(openTakeProfits(rig)).toHaveLength(1);
  });

  it('after a restart the restored position gets its take-profit back; one left by a crashed run is attached, not doubled', async () => {
    rig = await adoptedLong();
    await rig.trader.reconcile();
    const { fake, clock } = rig;
    const snapshot = structuredClone(rig.saved!);
    const before = snapshot.positions[0]!;
    await rig.controller.stop();
    rig.scheduler.stop();
    // While the bot is down the take-profit is cancelled.
    openTakeProfits(rig)[0]!.status = 'CANCELED';
    const second = await LiveRig.start({ fake, clock, snapshot });
    try {
      const summary = await second.trader.reconcile();
      expect(summary).toMatch(/1 position\(s\) resumed/);
      const tps = openTakeProfits(second);
      expect(tps).toHaveLength(1);
      expect(tps[0]!.price).toBe(before.tpPrice);
      expect(second.trader.managedPositions()[0]!.tpClientOrderId).toBe(tps[0]!.clientOrderId);
      // A third run after a crash during that placement: the take-profit on the exchange is attached.
      const crashed = structuredClone(second.saved!);
      const lost = { ...crashed, positions: crashed.positions.map((p) => ({ ...p, tpClientOrderId: 'slt_t_BTCUSDT_lost' })) };
      await second.controller.stop();
      second.scheduler.stop();
      const third = await LiveRig.start({ fake, clock, snapshot: lost });
      try {
        const from = fake.requests.length;
        await third.trader.reconcile();
        for (let i = 0; i < 3; i++) await third.tick();
        expect(openTakeProfits(third).map((o) => o.clientOrderId)).toEqual([tps[0]!.clientOrderId]);
        expect(third.trader.managedPositions()[0]!.tpClientOrderId).toBe(tps[0]!.clientOrderId);
        expect(third.requests('POST /fapi/v1/order', from)).toHaveLength(0);
      } finally {
        await third.close();
      }
    } finally {
      await second.close();
    }
  });
});

describe('per-symbol isolation', () => {
  it('a symbol that cannot be finalised does not delay another symbol’s due time stop', async () => {
    rig = await LiveRig.start({ symbols: ['BTCUSDT', 'ETHUSDT'], trader: { timeStopMs: 10_000 } });
    const r = rig;
    r.fake.state.positions.set('BTCUSDT', { symbol: 'BTCUSDT', amount: 0.01, entryPrice: 60_000, updateTime: 0 });
    r.fake.state.positions.set('ETHUSDT', { symbol: 'ETHUSDT', amount: 0.1, entryPrice: 3_000, updateTime: 0 });
    await r.trader.reconcile();
    expect(r.trader.managedPositions()).toHaveLength(2);
    // BTC closes outside the bot and its forced-close history cannot be read.
    r.fake.state.positions.delete('BTCUSDT');
    for (const stop of openStops(r, 'BTCUSDT')) stop.algoStatus = 'CANCELED';
    r.fake.inject('GET /fapi/v1/forceOrders', { kind: 'binance_error', code: -1000, status: 500, msg: 'internal' }, 1_000);
    r.clock.advance(10_000); // ETH's time stop is due
    await r.tick();
    expect(r.fake.state.positions.has('ETHUSDT')).toBe(false);
    expect(r.fake.state.orders.some((o) => o.symbol === 'ETHUSDT' && o.type === 'MARKET' && o.reduceOnly)).toBe(true);
    expect(r.logger.lines.some((l) => l.level === 'error' && l.message.startsWith('BTCUSDT: tick failed; this symbol backs off'))).toBe(
      true,
    );
  });
});
