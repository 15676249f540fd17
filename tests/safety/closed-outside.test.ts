/**
 * A position closed outside the bot (issue 9): recorded with what can be read from the
 * account's fills; the trade record is flagged `exitEstimated` when its exit price or fee
 * could not be read. Real ccxt against the fake Binance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveRig } from './live-rig.js';

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

async function adoptedLong(): Promise<LiveRig> {
  const r = await LiveRig.start();
  r.fake.state.positions.set('BTCUSDT', { symbol: 'BTCUSDT', amount: 0.01, entryPrice: 60_000, updateTime: 0 });
  await r.trader.reconcile();
  await r.tick();
  return r;
}

describe('a position closed outside the bot', () => {
  it('is recorded from the account fills that closed it (price, fee, time), not flagged', async () => {
    rig = await adoptedLong();
    const r = rig;
    // Someone closes it in the Binance app, in two fills.
    r.clock.advance(1_000);
    r.fake.state.positions.delete('BTCUSDT');
    const at = r.clock.now();
    for (const [id, price] of [
      [901, 61_000],
      [902, 61_200],
    ] as const)
      r.fake.state.trades.push({
        id,
        orderId: 5_000,
        symbol: 'BTCUSDT',
        side: 'SELL',
        price,
        qty: 0.005,
        quoteQty: price * 0.005,
        commission: price * 0.005 * 0.0005,
        commissionAsset: 'USDT',
        realizedPnl: 0,
        time: at,
        buyer: false,
        maker: false,
      });
    await r.tick();
    expect(r.trades).toHaveLength(1);
    const [trade] = r.trades;
    expect(trade).toMatchObject({ symbol: 'BTCUSDT', exitReason: 'external', exitPrice: 61_100, closedAt: at });
    expect(trade!.feesUsdt).toBeCloseTo((61_000 + 61_200) * 0.005 * 0.0005, 9);
    expect(trade!.exitEstimated).toBeUndefined();
    expect(r.events.some((e) => e.kind === 'safety' && e.safety.kind === 'closed_outside')).toBe(true);
    // Its leftover stop and take-profit are cancelled.
    expect(r.fake.state.algoOrders.filter((a) => a.algoStatus === 'NEW')).toEqual([]);
    expect(r.fake.state.orders.filter((o) => o.status === 'NEW')).toEqual([]);
  });

  it('is flagged exitEstimated when its closing fills cannot be read (last price, fee 0)', async () => {
    rig = await adoptedLong();
    const r = rig;
    r.fake.inject('GET /fapi/v1/userTrades', { kind: 'binance_error', code: -1000, status: 500, msg: 'internal' }, 5);
    r.fake.state.positions.delete('BTCUSDT');
    await r.tick();
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]).toMatchObject({ exitReason: 'external', exitEstimated: true });
    expect(r.trades[0]!.feesUsdt).toBe(0);
    expect(r.logger.lines.some((l) => l.message.startsWith('account fills could not be read'))).toBe(true);
  });
});
