import { describe, expect, it } from 'vitest';

import { fillsOrderId, summariseFills } from '../../../src/adapters/binance/parse.js';

const fill = (orderId: number, price: string, qty: string, commission: string, commissionAsset = 'USDT'): Record<string, unknown> => ({
  orderId,
  price,
  qty,
  commission,
  commissionAsset,
  symbol: 'BTCUSDT',
});

describe('summariseFills', () => {
  it('sums USDT commission and weights the average price by quantity', () => {
    const rows = [fill(7, '60000.0', '0.010', '0.30000000'), fill(7, '60100.0', '0.030', '0.90150000')];

    const fills = summariseFills(rows, '7');

    expect(fills.feeUsdt).toBeCloseTo(1.2015, 10);
    expect(fills.averagePrice).toBeCloseTo((60_000 * 0.01 + 60_100 * 0.03) / 0.04, 8);
    expect(fills.quantity).toBeCloseTo(0.04, 12);
    expect(fills.fillCount).toBe(2);
  });

  it('leaves commission in other assets out of the USDT fee and reports it by asset', () => {
    const fills = summariseFills([fill(7, '60000', '0.01', '0.3'), fill(7, '60000', '0.01', '0.0004', 'BNB')], '7');

    expect(fills.feeUsdt).toBeCloseTo(0.3, 12);
    expect([...fills.otherFees]).toEqual([['BNB', 0.0004]]);
  });

  it('ignores rows of other orders and answers no average price without fills', () => {
    const fills = summariseFills([fill(8, '60000', '0.01', '0.3')], '7');

    expect(fills).toMatchObject({ feeUsdt: 0, averagePrice: null, quantity: 0, fillCount: 0 });
    expect(summariseFills({ code: -1 }, '7').fillCount).toBe(0);
  });
});

describe('fillsOrderId', () => {
  it('files a regular order under its own orderId', () => {
    expect(fillsOrderId({ orderId: 8389765001, clientOrderId: 'e-1', status: 'FILLED' })).toBe('8389765001');
  });

  it('files a triggered conditional order under the order its trigger sent, and an untriggered one nowhere', () => {
    expect(fillsOrderId({ algoId: 3358, clientAlgoId: 'sl-1', algoStatus: 'FINISHED', actualOrderId: '8389765002' })).toBe('8389765002');
    expect(fillsOrderId({ algoId: 3359, clientAlgoId: 'sl-2', algoStatus: 'NEW', actualOrderId: '' })).toBeNull();
  });
});
