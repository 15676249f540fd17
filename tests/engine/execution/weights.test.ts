import { describe, expect, it } from 'vitest';
import { costOf, knownEndpoints, ordersFor, weightFor } from '../../../src/engine/execution/weights.js';

describe('weightFor', () => {
  it('weighs klines by limit as Binance does: [1,100) 1, [100,500) 2, [500,1000] 5, >1000 10', () => {
    const w = (limit: number) => weightFor('GET /fapi/v1/klines', { symbol: 'BTCUSDT', limit });
    expect([w(1), w(99), w(100), w(499), w(500), w(1000), w(1001), w(1500)]).toEqual([1, 1, 2, 2, 5, 5, 10, 10]);
    expect(weightFor('GET /fapi/v1/klines', { symbol: 'BTCUSDT' })).toBe(5); // default limit 500
    expect(weightFor('GET /fapi/v1/markPriceKlines', { limit: '2' })).toBe(1);
  });

  it('charges all-symbol ticker and order reads more than single-symbol ones', () => {
    expect(weightFor('GET /fapi/v1/ticker/price', { symbol: 'ETHUSDT' })).toBe(1);
    expect(weightFor('GET /fapi/v1/ticker/price')).toBe(2);
    expect(weightFor('GET /fapi/v1/ticker/24hr', { symbol: 'ETHUSDT' })).toBe(1);
    expect(weightFor('GET /fapi/v1/ticker/24hr')).toBe(40);
    expect(weightFor('GET /fapi/v1/premiumIndex', { symbol: 'ETHUSDT' })).toBe(1);
    expect(weightFor('GET /fapi/v1/premiumIndex')).toBe(10);
    expect(weightFor('GET /fapi/v1/openOrders', { symbol: 'ETHUSDT' })).toBe(1);
    expect(weightFor('GET /fapi/v1/openOrders')).toBe(40);
  });

  it('knows the account, position and settings weights', () => {
    expect(weightFor('GET /fapi/v3/positionRisk')).toBe(5);
    expect(weightFor('GET /fapi/v2/positionRisk')).toBe(5);
    expect(weightFor('GET /fapi/v3/account')).toBe(5);
    expect(weightFor('GET /fapi/v3/balance')).toBe(5);
    expect(weightFor('GET /fapi/v1/exchangeInfo')).toBe(1);
    expect(weightFor('GET /fapi/v1/leverageBracket')).toBe(1);
    expect(weightFor('POST /fapi/v1/leverage')).toBe(1);
    expect(weightFor('POST /fapi/v1/marginType')).toBe(1);
    expect(weightFor('GET /fapi/v1/income')).toBe(30);
    expect(weightFor('GET /fapi/v1/userTrades')).toBe(5);
    expect(weightFor('GET /fapi/v1/time')).toBe(1);
  });

  it('counts new orders against the order limits, not the IP weight', () => {
    expect(costOf('POST /fapi/v1/order')).toEqual({ weight: 0, orders: 1 });
    expect(costOf('POST /fapi/v1/algoOrder')).toEqual({ weight: 0, orders: 1 });
    expect(costOf('GET /fapi/v1/order')).toEqual({ weight: 1, orders: 0 });
    expect(costOf('DELETE /fapi/v1/order')).toEqual({ weight: 1, orders: 0 });
    expect(ordersFor('POST /fapi/v1/order')).toBe(1);
    expect(ordersFor('GET /fapi/v3/positionRisk')).toBe(0);
  });

  it('accepts a lower-case method and a query string', () => {
    expect(weightFor('get /fapi/v1/klines?symbol=BTCUSDT', { limit: 100 })).toBe(2);
  });

  it('refuses an endpoint it does not know, naming the file to fix', () => {
    expect(() => weightFor('GET /fapi/v9/nothing')).toThrow(/weights\.ts/);
    expect(knownEndpoints()).toContain('GET /fapi/v3/positionRisk');
  });
});
