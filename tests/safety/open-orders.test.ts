/**
 * Open orders are listed (issue 9, "Open orders are never listed"): real ccxt against the
 * fake Binance. Leftover reduce-only orders of positions that no longer exist are cancelled,
 * an untracked duplicate stop of this bot is cancelled, the engine's own orders are kept, and
 * orders the bot did not place are reported by symbol and client id (cancelled only when
 * FOREIGN_ORDERS=cancel).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OpenOrderSweeper } from '../../src/engine/open-orders.js';
import type { FakeOrder } from '../fakes/fake-binance.js';
import { LiveRig, restingStop } from './live-rig.js';

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

function limitOrder(orderId: number, clientOrderId: string, symbol: string, price: number, reduceOnly: boolean): FakeOrder {
  return {
    orderId,
    clientOrderId,
    symbol,
    side: 'BUY',
    type: 'LIMIT',
    origQty: 0.01,
    executedQty: 0,
    avgPrice: 0,
    price,
    stopPrice: 0,
    reduceOnly,
    status: 'NEW',
    timeInForce: 'GTC',
    time: 0,
    updateTime: 0,
  };
}

async function setUp(): Promise<LiveRig> {
  const r = await LiveRig.start({ symbols: ['BTCUSDT', 'ETHUSDT'] });
  const { state } = r.fake;
  state.positions.set('BTCUSDT', { symbol: 'BTCUSDT', amount: 0.01, entryPrice: 60_000, updateTime: 0 });
  state.algoOrders.push(
    restingStop(1, 'slt_s_BTCUSDT_owned', 'BTCUSDT', 'SELL', 58_000, 0.01), // the engine's stop
    restingStop(2, 'slt_s_BTCUSDT_dupe', 'BTCUSDT', 'SELL', 58_000, 0.01), // a second one after a crash
    restingStop(3, 'slt_s_ETHUSDT_left', 'ETHUSDT', 'SELL', 2_800, 0.1), // its position is gone
  );
  state.orders.push(limitOrder(10, 'web_manual_1', 'BTCUSDT', 50_000, false), limitOrder(11, 'web_tp_eth', 'ETHUSDT', 2_500, true));
  return r;
}

describe('open orders listed at start and on a slow cadence', () => {
  it('cancels leftovers and untracked duplicates, keeps the engine’s own, reports foreign orders', async () => {
    rig = await setUp();
    const r = rig;
    const sweeper = new OpenOrderSweeper({
      exchange: r.exchange,
      clock: r.clock,
      logger: r.logger,
      foreignOrders: 'report',
      ownedIds: () => new Set(['slt_s_BTCUSDT_owned']),
    });
    const result = await sweeper.sweep();
    expect(result.listed).toBe(5);
    expect(result.cancelled.map((o) => o.clientOrderId).sort()).toEqual(['slt_s_BTCUSDT_dupe', 'slt_s_ETHUSDT_left', 'web_tp_eth']);
    expect(result.foreign).toEqual([{ symbol: 'BTCUSDT', clientOrderId: 'web_manual_1', why: 'not placed by this bot' }]);
    const open = r.fake.state.algoOrders.filter((a) => a.algoStatus === 'NEW').map((a) => a.clientAlgoId);
    expect(open).toEqual(['slt_s_BTCUSDT_owned']);
    expect(r.fake.state.orders.filter((o) => o.status === 'NEW').map((o) => o.clientOrderId)).toEqual(['web_manual_1']);
    expect(
      r.logger.lines.some(
        (l) =>
          l.level === 'warn' && l.message.startsWith('open order not placed by this bot') && l.fields?.['clientOrderId'] === 'web_manual_1',
      ),
    ).toBe(true);
    // Two listings (regular + algo, all symbols) and one positions read: no per-order reads.
    expect(r.requests('GET /fapi/v1/openOrders')).toHaveLength(1);
    expect(r.requests('GET /fapi/v1/openAlgoOrders')).toHaveLength(1);
  });

  it('FOREIGN_ORDERS=cancel cancels them too; the sweep repeats on its cadence', async () => {
    rig = await setUp();
    const r = rig;
    const sweeper = new OpenOrderSweeper({
      exchange: r.exchange,
      clock: r.clock,
      logger: r.logger,
      foreignOrders: 'cancel',
      ownedIds: () => new Set(['slt_s_BTCUSDT_owned']),
      everyMs: 60_000,
    });
    sweeper.start();
    await sweeper.settled();
    expect(r.fake.state.orders.filter((o) => o.status === 'NEW')).toEqual([]);
    // A new leftover appears; the next listing (one minute later) cancels it.
    r.fake.state.algoOrders.push(restingStop(4, 'slt_t_ETHUSDT_late', 'ETHUSDT', 'SELL', 3_300, 0.1));
    r.clock.advance(60_000);
    await sweeper.settled();
    for (
      let i = 0;
      i < 200 && r.fake.state.algoOrders.some((a) => a.clientAlgoId === 'slt_t_ETHUSDT_late' && a.algoStatus === 'NEW');
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await sweeper.settled();
    }
    expect(r.fake.state.algoOrders.find((a) => a.clientAlgoId === 'slt_t_ETHUSDT_late')?.algoStatus).toBe('CANCELED');
    expect(r.requests('GET /fapi/v1/openAlgoOrders')).toHaveLength(2);
    sweeper.stop();
  });
});
