/**
 * The take-profit on Binance as BLUEPRINT decides: a reduce-only LIMIT at its price, good
 * till cancelled, on the regular order endpoint (not a conditional algo order).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { marketBuy, requestsTo, startRig, type Rig } from './helpers.js';

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

describe('BinanceExchange take-profit', () => {
  it('sends the take-profit as a reduce-only GTC limit at its price', async () => {
    await rig.exchange.setLeverage('BTCUSDT', 10);
    await rig.exchange.placeOrder(marketBuy('e-btc-1'), 1);
    const target = await rig.exchange.placeOrder(
      { symbol: 'BTCUSDT', side: 'sell', type: 'limit', quantity: 0.01, price: 63_000, reduceOnly: true, clientOrderId: 'tp-btc-1' },
      0,
    );
    expect(target).toMatchObject({ clientOrderId: 'tp-btc-1', type: 'limit', status: 'new', price: 63_000, reduceOnly: true });
    const sent = requestsTo(rig.fake, 'POST /fapi/v1/order').find((r) => r.body['newClientOrderId'] === 'tp-btc-1');
    expect(sent?.body).toMatchObject({ type: 'LIMIT', side: 'SELL', price: '63000', reduceOnly: 'true', timeInForce: 'GTC' });
    expect(requestsTo(rig.fake, 'POST /fapi/v1/algoOrder')).toEqual([]);
    // Found again by client order id on the regular endpoint.
    expect(await rig.exchange.fetchOrder('BTCUSDT', 'tp-btc-1')).toMatchObject({ type: 'limit', status: 'new', price: 63_000 });
  });
});
