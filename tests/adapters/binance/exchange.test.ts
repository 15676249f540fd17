import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  FatalExchangeError,
  InsufficientFundsError,
  InvalidOrderError,
  OrderUncertainError,
  RateLimitedError,
  RetryableExchangeError,
} from '../../../src/errors.js';
import { RULES_MAX_AGE_MS } from '../../../src/adapters/binance/exchange.js';
import { marketBuy, requestsTo, restartedExchange, startRig, stopSell, takeProfitSell, type Rig } from './helpers.js';

let rig: Rig;

beforeEach(async () => {
  rig = await startRig();
});

afterEach(async () => {
  await rig.close();
});

/** Opens a 0.01 BTC long at the fake's 60 000 USDT. */
async function openLong(id = 'entry-1'): Promise<void> {
  await rig.exchange.placeOrder(marketBuy(id), 1);
}

describe('BinanceExchange rules and settings', () => {
  it('maps exchangeInfo filters and leverage brackets of each symbol', async () => {
    const rules = await rig.exchange.loadRules(['BTCUSDT', 'ETHUSDT']);

    const btc = rules.get('BTCUSDT');
    expect(btc?.filters).toEqual({
      tickSize: 0.1,
      stepSize: 0.001,
      minQty: 0.001,
      maxQty: 1000,
      marketStepSize: 0.001,
      marketMinQty: 0.001,
      marketMaxQty: 120,
      minNotional: 100,
    });
    expect(btc?.brackets[0]).toEqual({
      bracket: 1,
      initialLeverage: 125,
      notionalCap: 50_000,
      notionalFloor: 0,
      maintMarginRatio: 0.004,
      cum: 0,
    });
    expect(btc?.brackets.map((b) => b.notionalFloor)).toEqual([0, 50_000, 600_000, 3_000_000, 12_000_000]);
    expect(rules.get('ETHUSDT')?.filters.tickSize).toBe(0.01);
    expect(rules.get('ETHUSDT')?.filters.minNotional).toBe(20);
  });

  it('reuses loaded rules within a day and reloads them after 24 hours', async () => {
    await rig.exchange.loadRules(['BTCUSDT']);
    await rig.exchange.loadRules(['BTCUSDT']);
    expect(requestsTo(rig.fake, 'GET /fapi/v1/exchangeInfo')).toHaveLength(1);
    expect(requestsTo(rig.fake, 'GET /fapi/v1/leverageBracket')).toHaveLength(1);

    rig.clock.advance(RULES_MAX_AGE_MS + 1);
    await rig.exchange.loadRules(['BTCUSDT']);
    expect(requestsTo(rig.fake, 'GET /fapi/v1/exchangeInfo')).toHaveLength(2);
    expect(requestsTo(rig.fake, 'GET /fapi/v1/leverageBracket')).toHaveLength(2);
  });

  it('treats a repeated isolated-margin request (-4046) as done', async () => {
    await rig.exchange.setIsolatedMargin('BTCUSDT');
    await rig.exchange.setIsolatedMargin('BTCUSDT');

    expect(rig.fake.state.marginType.get('BTCUSDT')).toBe('ISOLATED');
    const calls = requestsTo(rig.fake, 'POST /fapi/v1/marginType');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.body['marginType']).toBe('ISOLATED');
  });

  it('sets whole-number leverage and reports it on positions, which v3 positionRisk omits', async () => {
    await rig.exchange.setLeverage('BTCUSDT', 10);
    expect(rig.fake.state.leverage.get('BTCUSDT')).toBe(10);

    await openLong();
    const [position] = await rig.exchange.fetchPositions(1);
    expect(position?.leverage).toBe(10);
  });

  it('refuses a fractional leverage without sending anything', async () => {
    await expect(rig.exchange.setLeverage('BTCUSDT', 2.5)).rejects.toBeInstanceOf(InvalidOrderError);
    expect(rig.fake.requests).toHaveLength(0);
  });
});

describe('BinanceExchange orders', () => {
  it('opens a position and protects it with reduce-only stop and take-profit orders under our client ids', async () => {
    await rig.exchange.setLeverage('BTCUSDT', 10);
    const entry = await rig.exchange.placeOrder(marketBuy('e-btc-1'), 1);
    const stop = await rig.exchange.placeOrder(stopSell('sl-btc-1', 58_000), 0);
    const target = await rig.exchange.placeOrder(takeProfitSell('tp-btc-1', 63_000), 1);

    expect(entry).toMatchObject({
      clientOrderId: 'e-btc-1',
      type: 'market',
      status: 'filled',
      filledQuantity: 0.01,
      averagePrice: 60_000,
      reduceOnly: false,
    });
    expect(stop).toMatchObject({ clientOrderId: 'sl-btc-1', type: 'stop_market', status: 'new', stopPrice: 58_000, reduceOnly: true });
    expect(target).toMatchObject({ clientOrderId: 'tp-btc-1', type: 'take_profit_market', stopPrice: 63_000, reduceOnly: true });

    // ccxt 4.5.84 sends conditional orders to the algo service with clientAlgoId.
    const [entryRequest] = requestsTo(rig.fake, 'POST /fapi/v1/order');
    expect(entryRequest?.body['newClientOrderId']).toBe('e-btc-1');
    const algoRequests = requestsTo(rig.fake, 'POST /fapi/v1/algoOrder');
    expect(algoRequests.map((r) => r.body['clientAlgoId'])).toEqual(['sl-btc-1', 'tp-btc-1']);
    expect(algoRequests.map((r) => r.body['type'])).toEqual(['STOP_MARKET', 'TAKE_PROFIT_MARKET']);
    expect(algoRequests.every((r) => r.body['reduceOnly'] === 'true' && r.body['algoType'] === 'CONDITIONAL')).toBe(true);
    expect(algoRequests[0]?.body['triggerPrice']).toBe('58000');

    const open = await rig.exchange.fetchOpenOrders('BTCUSDT');
    expect(open.map((o) => o.clientOrderId).sort()).toEqual(['sl-btc-1', 'tp-btc-1']);
    const all = await rig.exchange.fetchOpenOrders();
    expect(all).toHaveLength(2);

    const [position] = await rig.exchange.fetchPositions(1);
    expect(position).toMatchObject({ symbol: 'BTCUSDT', side: 'long', size: 0.01, entryPrice: 60_000, leverage: 10 });
    expect(position?.isolatedMarginUsdt).toBeCloseTo(60, 6);
    expect(position?.liquidationPrice).toBeGreaterThan(0);
  });

  it('closes the position on the exchange when the reduce-only stop triggers', async () => {
    await openLong();
    await rig.exchange.placeOrder(stopSell('sl-1', 58_000), 0);

    rig.fake.setPrice('BTCUSDT', 57_900);

    expect(await rig.exchange.fetchPositions(1)).toEqual([]);
    const stop = await rig.exchange.fetchOrder('BTCUSDT', 'sl-1');
    expect(stop?.status).toBe('filled');
    expect(stop?.filledQuantity).toBe(0.01);
  });

  it('cancels a conditional order by client order id and finds it canceled', async () => {
    await openLong();
    await rig.exchange.placeOrder(takeProfitSell('tp-1', 63_000), 1);

    await rig.exchange.cancelOrder('BTCUSDT', 'tp-1', 0);

    expect(await rig.exchange.fetchOpenOrders('BTCUSDT')).toEqual([]);
    expect((await rig.exchange.fetchOrder('BTCUSDT', 'tp-1'))?.status).toBe('canceled');
    expect(requestsTo(rig.fake, 'DELETE /fapi/v1/algoOrder')[0]?.query['clientAlgoId']).toBe('tp-1');
  });

  it('cancels a resting limit order through the regular order endpoint', async () => {
    await rig.exchange.placeOrder(
      { symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 0.01, price: 55_000, reduceOnly: false, clientOrderId: 'lim-1' },
      1,
    );
    await rig.exchange.cancelOrder('BTCUSDT', 'lim-1', 0);
    expect((await rig.exchange.fetchOrder('BTCUSDT', 'lim-1'))?.status).toBe('canceled');
  });

  it('finds an order placed by an earlier process by trying the regular, then the algo endpoint', async () => {
    await openLong();
    await rig.exchange.placeOrder(stopSell('sl-old', 58_000), 0);
    const restarted = restartedExchange(rig);

    const order = await restarted.fetchOrder('BTCUSDT', 'sl-old');

    expect(order?.type).toBe('stop_market');
  });

  it('reports an unknown client order id as null, and its cancel as InvalidOrderError -2011', async () => {
    expect(await rig.exchange.fetchOrder('BTCUSDT', 'never-sent')).toBeNull();
    const cancel = rig.exchange.cancelOrder('BTCUSDT', 'never-sent', 0);
    await expect(cancel).rejects.toBeInstanceOf(InvalidOrderError);
    await expect(cancel).rejects.toMatchObject({ code: '-2011' });
  });

  it('rejects a client order id Binance would refuse, before sending', async () => {
    await expect(rig.exchange.placeOrder(marketBuy('has space'), 1)).rejects.toBeInstanceOf(InvalidOrderError);
    await expect(rig.exchange.placeOrder(marketBuy('x'.repeat(37)), 1)).rejects.toBeInstanceOf(InvalidOrderError);
    expect(requestsTo(rig.fake, 'POST /fapi/v1/order')).toHaveLength(0);
  });

  it('returns the existing order when Binance reports its client order id as a duplicate (-4116)', async () => {
    const limit = {
      symbol: 'BTCUSDT',
      side: 'buy',
      type: 'limit',
      quantity: 0.01,
      price: 55_000,
      reduceOnly: false,
      clientOrderId: 'dup-1',
    } as const;
    const first = await rig.exchange.placeOrder(limit, 1);
    const again = await rig.exchange.placeOrder(limit, 1);

    expect(again.exchangeOrderId).toBe(first.exchangeOrderId);
    expect(rig.fake.state.orders.filter((o) => o.clientOrderId === 'dup-1')).toHaveLength(1);
  });
});

describe('BinanceExchange unknown order outcomes', () => {
  it('turns a timed-out order into exactly one order on the exchange and returns it', async () => {
    rig.fake.inject('POST /fapi/v1/order', { kind: 'timeout' });

    const order = await rig.exchange.placeOrder(marketBuy('e-timeout'), 1);

    expect(order).toMatchObject({ clientOrderId: 'e-timeout', status: 'filled', filledQuantity: 0.01 });
    expect(rig.fake.state.orders.filter((o) => o.clientOrderId === 'e-timeout')).toHaveLength(1);
    expect(requestsTo(rig.fake, 'POST /fapi/v1/order')).toHaveLength(1);
    expect(requestsTo(rig.fake, 'GET /fapi/v1/order')[0]?.query['origClientOrderId']).toBe('e-timeout');
    expect(rig.fake.state.positions.get('BTCUSDT')?.amount).toBe(0.01);
  });

  it('queries a stop order whose connection dropped on the algo endpoint, and does not place it twice', async () => {
    await openLong();
    rig.fake.inject('POST /fapi/v1/algoOrder', { kind: 'timeout', holdMs: 50 });

    const stop = await rig.exchange.placeOrder(stopSell('sl-drop', 58_000), 0);

    expect(stop).toMatchObject({ clientOrderId: 'sl-drop', type: 'stop_market', status: 'new' });
    expect(rig.fake.state.algoOrders.filter((a) => a.clientAlgoId === 'sl-drop')).toHaveLength(1);
    expect(requestsTo(rig.fake, 'GET /fapi/v1/algoOrder')[0]?.query['clientAlgoId']).toBe('sl-drop');
  });

  it('resends once, with the same id, when the exchange says the timed-out order does not exist (-2013)', async () => {
    rig.fake.inject('POST /fapi/v1/order', { kind: 'timeout', apply: false });

    const order = await rig.exchange.placeOrder(marketBuy('e-lost'), 1);

    expect(order.status).toBe('filled');
    expect(requestsTo(rig.fake, 'POST /fapi/v1/order').map((r) => r.body['newClientOrderId'])).toEqual(['e-lost', 'e-lost']);
    expect(rig.fake.state.orders.filter((o) => o.clientOrderId === 'e-lost')).toHaveLength(1);
  });

  it('reconciles a 5xx on an order instead of reporting a failure', async () => {
    rig.fake.inject('POST /fapi/v1/order', { kind: 'server_error', status: 503 });

    const order = await rig.exchange.placeOrder(marketBuy('e-503'), 1);

    expect(order.clientOrderId).toBe('e-503');
    expect(rig.fake.state.orders.filter((o) => o.clientOrderId === 'e-503')).toHaveLength(1);
  });

  it('raises OrderUncertainError with the client order id when the follow-up query fails too', async () => {
    rig.fake.inject('POST /fapi/v1/order', { kind: 'timeout' });
    rig.fake.inject('GET /fapi/v1/order', { kind: 'server_error', status: 502 });

    const attempt = rig.exchange.placeOrder(marketBuy('e-dark'), 1);

    await expect(attempt).rejects.toBeInstanceOf(OrderUncertainError);
    await expect(attempt).rejects.toMatchObject({ clientOrderId: 'e-dark' });
    expect(requestsTo(rig.fake, 'POST /fapi/v1/order')).toHaveLength(1);
  });
});

describe('BinanceExchange error mapping', () => {
  const orderCases = [
    { code: -1021, expected: RetryableExchangeError },
    { code: -1111, expected: InvalidOrderError },
    { code: -2019, expected: InsufficientFundsError },
    { code: -2022, expected: InvalidOrderError },
    { code: -4164, expected: InvalidOrderError },
  ] as const;

  for (const { code, expected } of orderCases) {
    it(`maps Binance ${code} on an order to ${expected.name}`, async () => {
      rig.fake.inject('POST /fapi/v1/order', { kind: 'binance_error', code });
      await expect(rig.exchange.placeOrder(marketBuy(`e${-code}`), 1)).rejects.toBeInstanceOf(expected);
      // Nothing was resent: a definite answer is never retried by the adapter.
      expect(requestsTo(rig.fake, 'POST /fapi/v1/order')).toHaveLength(1);
    });
  }

  it('resyncs the time offset after -1021 (timestamp outside recvWindow) and logs the skew', async () => {
    rig.fake.inject('POST /fapi/v1/order', { kind: 'binance_error', code: -1021 });
    await expect(rig.exchange.placeOrder(marketBuy('e-skew'), 1)).rejects.toBeInstanceOf(RetryableExchangeError);
    expect(requestsTo(rig.fake, 'GET /fapi/v1/time')).toHaveLength(1);
    expect(rig.logger.lines.some((l) => l.message.includes('clock skew'))).toBe(true);
  });

  it('rejects a reduce-only order that would open a position (real -2022 from the fake)', async () => {
    await expect(rig.exchange.placeOrder({ ...marketBuy('ro-1'), side: 'sell', reduceOnly: true }, 0)).rejects.toMatchObject({
      code: '-2022',
    });
  });

  it('maps an invalid API key (-2015) to FatalExchangeError', async () => {
    rig.fake.inject('GET /fapi/v3/account', { kind: 'binance_error', code: -2015, status: 401 });
    await expect(rig.exchange.fetchBalance()).rejects.toBeInstanceOf(FatalExchangeError);
  });

  it('maps a 5xx on a read to RetryableExchangeError', async () => {
    rig.fake.inject('GET /fapi/v3/positionRisk', { kind: 'server_error', status: 503 });
    await expect(rig.exchange.fetchPositions(2)).rejects.toBeInstanceOf(RetryableExchangeError);
  });

  it('maps a read timeout to RetryableExchangeError', async () => {
    rig.fake.inject('GET /fapi/v3/account', { kind: 'timeout' });
    await expect(rig.exchange.fetchBalance()).rejects.toBeInstanceOf(RetryableExchangeError);
  });

  it('blocks the lanes for Retry-After on a 429 while priority 0 still goes through', async () => {
    rig.fake.inject('GET /fapi/v3/account', { kind: 'rate_limit', status: 429, retryAfterSec: 2 });

    const limited = rig.exchange.fetchBalance();
    await expect(limited).rejects.toBeInstanceOf(RateLimitedError);
    await expect(limited).rejects.toMatchObject({ status: 429, retryAfterMs: 2000 });
    const stats = rig.scheduler.stats();
    expect(stats.breaker).toBe('block');
    expect(stats.blockedUntil).toBe(rig.clock.now() + 2000);

    // Lane 2 waits for the block to end; lane 0 (a close, a position read) does not.
    let balanceDone = false;
    const held = rig.exchange.fetchBalance().then((b) => {
      balanceDone = true;
      return b;
    });
    expect(await rig.exchange.fetchPositions(0)).toEqual([]);
    expect(balanceDone).toBe(false);
    rig.clock.advance(2000);
    expect((await held).walletBalanceUsdt).toBe(10_000);
  });

  it('reports a 418 ban as RateLimitedError(418) and blocks for at least its Retry-After', async () => {
    rig.fake.inject('GET /fapi/v3/account', { kind: 'rate_limit', status: 418, retryAfterSec: 180 });

    const banned = rig.exchange.fetchBalance();
    await expect(banned).rejects.toMatchObject({ status: 418, retryAfterMs: 180_000 });
    expect(rig.scheduler.stats().breaker).toBe('block');
    expect(rig.scheduler.stats().blockedUntil).toBe(rig.clock.now() + 180_000);
  });
});

describe('BinanceExchange account reads', () => {
  it('reads every position in ONE request, without loading markets first', async () => {
    const positions = await rig.exchange.fetchPositions(1);
    expect(positions).toEqual([]);
    expect(rig.fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /fapi/v3/positionRisk']);
  });

  it('reads the balance with equity = wallet + unrealised P&L', async () => {
    await openLong();
    rig.fake.setPrice('BTCUSDT', 61_000);

    const balance = await rig.exchange.fetchBalance();

    expect(balance.unrealizedPnlUsdt).toBeCloseTo(10, 6);
    expect(balance.walletBalanceUsdt).toBeCloseTo(10_000 - 0.3, 6); // taker fee 0.05 % of 600 USDT
    expect(balance.equityUsdt).toBeCloseTo(balance.walletBalanceUsdt + 10, 6);
    expect(balance.availableBalanceUsdt).toBeLessThan(balance.walletBalanceUsdt);
  });

  it('reads funding payments of a symbol since a time, signed', async () => {
    const t0 = rig.clock.now() - 86_400_000;
    rig.fake.state.income.push(
      { symbol: 'BTCUSDT', incomeType: 'FUNDING_FEE', income: -0.12, time: t0, tranId: 1 },
      { symbol: 'BTCUSDT', incomeType: 'FUNDING_FEE', income: 0.05, time: t0 + 28_800_000, tranId: 2 },
      { symbol: 'ETHUSDT', incomeType: 'FUNDING_FEE', income: 0.4, time: t0 + 28_800_000, tranId: 3 },
      { symbol: 'BTCUSDT', incomeType: 'COMMISSION', income: -0.3, time: t0 + 28_800_000, tranId: 4 },
    );

    const payments = await rig.exchange.fetchFundingPayments('BTCUSDT', t0 + 1);

    expect(payments).toEqual([{ symbol: 'BTCUSDT', timestamp: t0 + 28_800_000, amountUsdt: 0.05 }]);
    expect(requestsTo(rig.fake, 'GET /fapi/v1/income')[0]?.query['incomeType']).toBe('FUNDING_FEE');
  });
});

describe('BinanceExchange request routing', () => {
  it('sends every request to EXCHANGE_API_BASE under Binance futures paths and nowhere else', async () => {
    await rig.exchange.loadRules(['BTCUSDT']);
    await rig.exchange.setIsolatedMargin('BTCUSDT');
    await rig.exchange.setLeverage('BTCUSDT', 5);
    await openLong();
    await rig.exchange.placeOrder(stopSell('sl-r', 58_000), 0);
    await rig.exchange.fetchOpenOrders();
    await rig.exchange.fetchPositions(1);
    await rig.exchange.fetchBalance();
    await rig.exchange.fetchFundingPayments('BTCUSDT', 0);
    await rig.exchange.cancelOrder('BTCUSDT', 'sl-r', 0);

    expect(rig.fetched.length).toBe(rig.fake.requests.length);
    expect(rig.fetched.every((line) => line.split(' ')[1]?.startsWith(`${rig.fake.url}/fapi/`))).toBe(true);
    expect(rig.fake.requests.every((r) => r.path.startsWith('/fapi/') || r.path.startsWith('/futures/data/'))).toBe(true);
    // Every signed request carries ccxt's recvWindow of 10 s.
    expect(requestsTo(rig.fake, 'GET /fapi/v3/account')[0]?.query['recvWindow']).toBe('10000');
  });

  it('budgets each request with its Binance weight and syncs from the weight header', async () => {
    await rig.exchange.fetchPositions(1);
    await rig.exchange.fetchBalance();
    expect(rig.fake.usedWeight1m()).toBe(10);
    expect(rig.scheduler.stats().usedWeight1m).toBe(10);
  });
});
