/**
 * The take-profit as BLUEPRINT "Paper fills" decides: a reduce-only limit at its price,
 * filled when the price reaches it, at exactly that price, with the maker fee and no
 * slippage; SL/TP prices in whole ticks.
 */
import { describe, expect, it } from 'vitest';
import { stopDistances, stopPrices } from '../../src/engine/pipeline/steps.js';
import { TraderHarness } from './helpers/trader-harness.js';

describe('take-profit exit', () => {
  it('exits at exactly tpPrice with the maker fee', async () => {
    // Harness venue: taker 0.05 %, maker 0.02 %; slippage 1 % so any slippage would show.
    const h = new TraderHarness({ slippageRate: 0.01 });
    // The market entry fills 1 % worse (101 000); the TP is 1 500 above that fill.
    const position = await h.openPosition({ side: 'long', price: 100_000, size: 0.01, slPct: 0.02, tpPct: 0.015 });
    expect(position.entryPrice).toBe(101_000);
    expect(position.tpPrice).toBe(102_500);
    const tp = (await h.paper.fetchOpenOrders('BTCUSDT')).find((o) => o.reduceOnly && o.type === 'limit');
    expect(tp).toMatchObject({ side: 'sell', price: 102_500, reduceOnly: true });
    h.clock.advance(60_000);
    h.price('BTCUSDT', 101_200); // the limit rests on the book
    h.clock.advance(60_000);
    h.price('BTCUSDT', 103_000); // the price goes through it
    await h.tick();
    const [trade] = h.trades();
    expect(trade?.exitReason).toBe('tp');
    expect(trade?.exitPrice).toBe(102_500);
    // Fees: entry 0.01 × 101 000 × 0.0005 = 0.505 taker + exit 0.01 × 102 500 × 0.0002 = 0.205 maker = 0.71.
    expect(trade?.feesUsdt).toBeCloseTo(0.71, 9);
    // Net P&L: 0.01 × (102 500 − 101 000) − 0.71 = 14.29.
    expect(trade?.pnlUsdt).toBeCloseTo(14.29, 9);
  });
});

describe('SL/TP in whole ticks', () => {
  it('1.5 × an odd number of SL ticks is n + ½ ticks and always rounds up, whatever the tick size', () => {
    // 7 ticks of SL → 10.5 ticks → 11 ticks of TP. In float prices 0.7 × 1.5 / 0.1 = 10.4999… (would round down)
    // while 0.07 × 1.5 / 0.01 = 10.5 (rounds up): the tick arithmetic gives 11 for both.
    for (const tickSize of [0.1, 0.01, 0.001, 0.5, 1e-5]) {
      // Reference price 700 ticks, base SL 1 % at 1x: a 7-tick stop.
      const { slDistance, tpDistance } = stopDistances(700 * tickSize, 0.01, 1, tickSize);
      expect(Math.round(slDistance / tickSize)).toBe(7);
      expect(tpDistance).toBe(Number((11 * tickSize).toFixed(8)));
    }
  });

  it('SL and TP prices from an entry are on the grid, the SL never closer than planned', () => {
    // Entry 100.05 (a half tick off the 0.1 grid): SL 0.7 below → 99.35 → down to 99.3; TP 1.1 above → 101.15 → up to 101.2.
    expect(stopPrices('long', 100.05, 0.7, 1.1, 0.1)).toEqual({ slPrice: 99.3, tpPrice: 101.2 });
    // Short: SL 100.75 → up to 100.8; TP 98.95 → half up to 99.0.
    expect(stopPrices('short', 100.05, 0.7, 1.1, 0.1)).toEqual({ slPrice: 100.8, tpPrice: 99 });
    expect(stopPrices('long', 0.1234, 0.0007, 0.0011, 0.0001)).toEqual({ slPrice: 0.1227, tpPrice: 0.1245 });
  });
});
