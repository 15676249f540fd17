import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { BinanceExchange, FEE_READ_MAX_WAIT_MS } from '../../../src/adapters/binance/exchange.js';
import { marketBuy, requestsTo, restartedExchange, startRig, stopSell, type Rig } from './helpers.js';

/** The fake's default taker fee (0.05 %), charged on every fill in USDT. */
const TAKER_FEE_RATE = 0.0005;

let rig: Rig;

beforeEach(async () => {
  rig = await startRig();
});

afterEach(async () => {
  await rig.close();
});

const userTradeReads = (): number => requestsTo(rig.fake, 'GET /fapi/v1/userTrades').length;
const warnings = (text: string): number => rig.logger.lines.filter((l) => l.level === 'warn' && l.message.includes(text)).length;

describe('BinanceExchange fees from fills', () => {
  it('reports the taker fee of a filled market entry, read from its fills', async () => {
    const placed = await rig.exchange.placeOrder(marketBuy('e-fee'), 1);
    const fetched = await rig.exchange.fetchOrder('BTCUSDT', 'e-fee');

    const expectedFeeUsdt = 0.01 * 60_000 * TAKER_FEE_RATE;
    expect(placed.feeUsdt).toBeCloseTo(expectedFeeUsdt, 8);
    expect(fetched?.feeUsdt).toBeCloseTo(expectedFeeUsdt, 8);
    expect(fetched?.averagePrice).toBe(60_000);
    const [read] = requestsTo(rig.fake, 'GET /fapi/v1/userTrades');
    expect(read?.query['symbol']).toBe('BTCUSDT');
    expect(read?.query['orderId']).toBe(fetched?.exchangeOrderId);
  });

  it('reads the fills of a filled order once: fetching it again sends no userTrades request', async () => {
    await rig.exchange.placeOrder(marketBuy('e-once'), 1);
    const restarted = restartedExchange(rig);

    const first = await restarted.fetchOrder('BTCUSDT', 'e-once');
    const readsAfterFirst = userTradeReads();
    const second = await restarted.fetchOrder('BTCUSDT', 'e-once');

    expect(second?.feeUsdt).toBeCloseTo(first?.feeUsdt ?? Number.NaN, 10);
    expect(second?.feeUsdt).toBeGreaterThan(0);
    expect(userTradeReads()).toBe(readsAfterFirst);
  });

  it('fetches a placed market order without a second fills read (placeOrder kept them)', async () => {
    await rig.exchange.placeOrder(marketBuy('e-kept'), 1);
    await rig.exchange.fetchOrder('BTCUSDT', 'e-kept');
    await rig.exchange.fetchOrder('BTCUSDT', 'e-kept');

    expect(userTradeReads()).toBe(1);
  });

  it('gives a triggered stop the fee and average price of the market order its trigger sent', async () => {
    await rig.exchange.placeOrder(marketBuy('e-1'), 1);
    await rig.exchange.placeOrder(stopSell('sl-1', 58_000), 0);
    rig.fake.setPrice('BTCUSDT', 57_900);
    // Binance does not always report the triggered order's price on the algo order.
    const algo = rig.fake.state.algoOrders.find((a) => a.clientAlgoId === 'sl-1');
    if (algo === undefined) throw new Error('the fake lost the stop');
    algo.avgPrice = 0;

    const stop = await rig.exchange.fetchOrder('BTCUSDT', 'sl-1');

    expect(stop).toMatchObject({ status: 'filled', type: 'stop_market', averagePrice: 57_900 });
    expect(stop?.feeUsdt).toBeCloseTo(0.01 * 57_900 * TAKER_FEE_RATE, 8);
    const reads = requestsTo(rig.fake, 'GET /fapi/v1/userTrades');
    expect(reads.at(-1)?.query['orderId']).toBe(String(algo.actualOrderId));
  });

  it('reads nothing for a stop that has not triggered', async () => {
    await rig.exchange.placeOrder(marketBuy('e-2'), 1);
    await rig.exchange.placeOrder(stopSell('sl-2', 58_000), 0);
    const readsBefore = userTradeReads();

    const stop = await rig.exchange.fetchOrder('BTCUSDT', 'sl-2');

    expect(stop).toMatchObject({ status: 'new', feeUsdt: 0 });
    expect(userTradeReads()).toBe(readsBefore);
  });

  it('keeps fee 0 with a warning when userTrades fails, without failing the order, and reads it again later', async () => {
    rig.fake.inject('GET /fapi/v1/userTrades', { kind: 'server_error', status: 500 }, 2);

    const placed = await rig.exchange.placeOrder(marketBuy('e-500'), 1);
    const fetched = await rig.exchange.fetchOrder('BTCUSDT', 'e-500');

    expect(placed).toMatchObject({ status: 'filled', filledQuantity: 0.01, feeUsdt: 0 });
    expect(fetched).toMatchObject({ status: 'filled', feeUsdt: 0 });
    expect(warnings('order fills could not be read')).toBe(2);

    // A failed read is not kept: the next read gets the fee.
    const later = await rig.exchange.fetchOrder('BTCUSDT', 'e-500');
    expect(later?.feeUsdt).toBeCloseTo(0.01 * 60_000 * TAKER_FEE_RATE, 8);
  });

  it('leaves commission paid in another asset out of the fee, warning once per asset', async () => {
    await rig.exchange.placeOrder(marketBuy('e-bnb-1'), 1);
    await rig.exchange.placeOrder(marketBuy('e-bnb-2'), 1);
    for (const trade of rig.fake.state.trades) {
      trade.commissionAsset = 'BNB';
      trade.commission = 0.0005;
    }
    const restarted = restartedExchange(rig);

    const first = await restarted.fetchOrder('BTCUSDT', 'e-bnb-1');
    const second = await restarted.fetchOrder('BTCUSDT', 'e-bnb-2');

    expect(first?.feeUsdt).toBe(0);
    expect(second?.feeUsdt).toBe(0);
    expect(warnings('non-USDT asset')).toBe(1);
  });

  it('returns a close placed during a rate-limit block without waiting for its fills, and keeps them for later', async () => {
    rig.fake.inject('GET /fapi/v3/account', { kind: 'rate_limit', status: 429, retryAfterSec: 60 });
    await expect(rig.exchange.fetchBalance()).rejects.toMatchObject({ status: 429 });
    const timersWhileBlocked = rig.clock.pendingTimers();

    let placed: Awaited<ReturnType<BinanceExchange['placeOrder']>> | null = null;
    const placing = rig.exchange.placeOrder(marketBuy('e-blocked'), 0).then((order) => {
      placed = order;
    });
    // Lane 2 is blocked: the fills read waits, and placeOrder waits for it at most FEE_READ_MAX_WAIT_MS.
    for (let i = 0; i < 200 && rig.clock.pendingTimers() === timersWhileBlocked; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(placed).toBeNull();
    rig.clock.advance(FEE_READ_MAX_WAIT_MS);
    await placing;

    expect(placed).toMatchObject({ clientOrderId: 'e-blocked', status: 'filled', feeUsdt: 0 });
    expect(userTradeReads()).toBe(0);
    expect(warnings('order fills not read in time')).toBe(1);

    // The block ends; the queued read goes and the next order read has the fee at no extra request.
    rig.clock.advance(60_000);
    const fetched = await rig.exchange.fetchOrder('BTCUSDT', 'e-blocked');
    expect(fetched?.feeUsdt).toBeCloseTo(0.01 * 60_000 * TAKER_FEE_RATE, 8);
    expect(userTradeReads()).toBe(1);
  });
});
