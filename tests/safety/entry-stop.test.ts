/**
 * The stop goes out in the same tick as the entry fill (issue 9, "a position has no exchange
 * stop for one tick after each entry fill"): the Trader on the Binance adapter (real ccxt)
 * against the fake Binance, an entry from a real signal of the bundled candles.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../../src/engine/types.js';
import { CANDLE_MS, loadBtcCandles, signalsIn } from '../engine/helpers/trader-harness.js';
import { LiveRig } from './live-rig.js';

let candles: Candle[];
let signalAt: number;
beforeAll(async () => {
  candles = await loadBtcCandles(1500);
  const found = signalsIn(candles)[0];
  if (found === undefined) throw new Error('no signal in the bundled candles');
  signalAt = found.index;
});

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

/** A rig whose Trader has seen every candle before the signal, the clock at the signal candle's close. */
async function atSignal(): Promise<LiveRig> {
  const r = await LiveRig.start();
  r.trader.warmUp('BTCUSDT', candles.slice(0, signalAt));
  r.clock.set(candles[signalAt]!.timestamp + CANDLE_MS);
  r.fake.setPrice('BTCUSDT', candles[signalAt]!.close);
  return r;
}

describe('the stop after an entry fill', () => {
  it('is placed straight after the fill is known, on lane 0, before any controller tick', async () => {
    rig = await atSignal();
    const from = rig.fake.requests.length;
    await rig.trader.onCandles([{ symbol: 'BTCUSDT', candle: candles[signalAt]!, mark: null }]);
    const sent = rig.fake.requests.slice(from).map((r) => `${r.method} ${r.path}`);
    const entryAt = sent.indexOf('POST /fapi/v1/order');
    const stopAt = sent.indexOf('POST /fapi/v1/algoOrder');
    expect(entryAt).toBeGreaterThanOrEqual(0);
    expect(stopAt).toBeGreaterThan(entryAt);
    // No position read in between: the controller did not tick.
    expect(sent.slice(entryAt, stopAt)).not.toContain('GET /fapi/v3/positionRisk');
    expect(rig.controller.stats().ticks).toBe(0);
    const [position] = rig.trader.managedPositions();
    expect(position).toBeDefined();
    const stops = rig.fake.state.algoOrders.filter((a) => a.algoStatus === 'NEW' && a.orderType === 'STOP_MARKET');
    expect(stops.map((s) => s.clientAlgoId)).toEqual([position!.slClientOrderId]);
    expect(stops[0]!.reduceOnly).toBe(true);
    // The take-profit too: a reduce-only limit, a regular order.
    const tps = rig.fake.state.orders.filter((o) => o.type === 'LIMIT' && o.reduceOnly && o.status === 'NEW');
    expect(tps.map((o) => o.clientOrderId)).toEqual([position!.tpClientOrderId]);
    expect(rig.events.filter((e) => e.kind === 'entry')).toHaveLength(1);
    // The next ticks neither open it again nor add a stop.
    await rig.tick();
    await rig.tick();
    expect(rig.trader.managedPositions()).toHaveLength(1);
    expect(rig.fake.state.algoOrders.filter((a) => a.algoStatus === 'NEW')).toHaveLength(1);
    expect(rig.events.filter((e) => e.kind === 'entry')).toHaveLength(1);
  });

  it('is placed straight away when Binance answers the market entry before it has matched (status NEW): the entry is read once more', async () => {
    rig = await atSignal();
    const r = rig;
    // The reply as Binance may give it: accepted, not matched yet (the order fills on the fake).
    const placeOrder = r.exchange.placeOrder.bind(r.exchange);
    r.exchange.placeOrder = async (request, priority) => {
      const order = await placeOrder(request, priority);
      return request.clientOrderId.startsWith('slt_e_') ? { ...order, status: 'new', filledQuantity: 0, averagePrice: null } : order;
    };
    const from = r.fake.requests.length;
    await r.trader.onCandles([{ symbol: 'BTCUSDT', candle: candles[signalAt]!, mark: null }]);
    const sent = r.fake.requests.slice(from).map((q) => `${q.method} ${q.path}`);
    const entryAt = sent.indexOf('POST /fapi/v1/order');
    const readAt = sent.indexOf('GET /fapi/v1/order', entryAt);
    const stopAt = sent.indexOf('POST /fapi/v1/algoOrder');
    expect(readAt).toBeGreaterThan(entryAt);
    expect(stopAt).toBeGreaterThan(readAt);
    expect(r.controller.stats().ticks).toBe(0);
    expect(r.trader.managedPositions()).toHaveLength(1);
    expect(r.trader.pendingOrders()).toEqual([]);
  });
});
