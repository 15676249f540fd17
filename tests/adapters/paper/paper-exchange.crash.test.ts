/**
 * The paper exchange on the real crash of 2025-10-10 (BTCUSDT −8.87 % open→low in the
 * 21:15 UTC 5m candle): liquidation on mark price, stops that save the margin, funding.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isolatedLiquidationPrice, roundPrice } from '../../../src/engine/exchange-rules.js';
import type { PaperEvent } from '../../../src/adapters/paper/index.js';
import type { OrderState } from '../../../src/engine/types.js';
import { FIVE_MIN_MS, closedCandles, loadCrashFixture, limitOrder, marketOrder, paperOnFixture, stopOrder, utc } from './crash-fixture.js';
import type { CrashFixture } from './crash-fixture.js';

let fixture: CrashFixture;
beforeAll(async () => {
  fixture = await loadCrashFixture();
});

const TAKER = 0.0005;
const SLIPPAGE = 0.0005;

function fills(events: readonly PaperEvent[]): Extract<PaperEvent, { kind: 'fill' }>[] {
  return events.filter((e): e is Extract<PaperEvent, { kind: 'fill' }> => e.kind === 'fill');
}
function liquidations(events: readonly PaperEvent[]): Extract<PaperEvent, { kind: 'liquidation' }>[] {
  return events.filter((e): e is Extract<PaperEvent, { kind: 'liquidation' }> => e.kind === 'liquidation');
}
function inCandle(atMs: number, candleIso: string): boolean {
  return atMs >= utc(candleIso) && atMs < utc(candleIso) + FIVE_MIN_MS;
}

/** A 20x BTC long of 0.1 entered by a market order placed after the 20:55 close (fills at the 21:00 open). */
async function openLongBefore2100(leverage = 20) {
  const venue = paperOnFixture(fixture, '2025-10-10T12:00');
  venue.feed('BTCUSDT', '2025-10-10T12:00', '2025-10-10T21:00');
  await venue.exchange.setLeverage('BTCUSDT', leverage);
  await venue.exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.1, 'entry-1'), 1);
  venue.feed('BTCUSDT', '2025-10-10T21:00', '2025-10-10T21:05');
  const entry = (await venue.exchange.fetchOrder('BTCUSDT', 'entry-1')) as OrderState;
  return { ...venue, entry };
}

describe('PaperExchange on the 2025-10-10 crash', () => {
  it('liquidates a 20x long without a stop in the 21:15 crash candle at the bracket-formula mark price, losing its isolated margin', async () => {
    const { exchange, feed, entry } = await openLongBefore2100();
    expect(entry.status).toBe('filled');
    const q = 0.1;
    const ep = entry.averagePrice!;
    const wb = (q * ep) / 20; // isolated margin = notional / leverage
    // BTCUSDT bracket 1 (notional < 50 000): MMR 0.4 %, cum 0. Long: LP = (WB + cum − q·EP) / (q·MMR − q).
    const bracket = fixture.rules.get('BTCUSDT')!.brackets[0]!;
    expect(q * ep).toBeLessThan(bracket.notionalCap);
    const expectedLp = (wb + bracket.cum - q * ep) / (q * bracket.maintMarginRatio - q);
    expect(expectedLp).toBeCloseTo(
      isolatedLiquidationPrice({
        side: 'long',
        size: q,
        entryPrice: ep,
        isolatedMarginUsdt: wb,
        brackets: fixture.rules.get('BTCUSDT')!.brackets,
      }),
      9,
    );
    const [position] = await exchange.fetchPositions(1);
    expect(position!.liquidationPrice).toBeCloseTo(expectedLp, 6);

    exchange.drainEvents();
    feed('BTCUSDT', '2025-10-10T21:05', '2025-10-10T22:00');
    const events = exchange.drainEvents();
    const [liquidation, ...more] = liquidations(events);
    expect(more).toHaveLength(0);
    expect(liquidation).toBeDefined();
    expect(inCandle(liquidation!.at, '2025-10-10T21:15')).toBe(true);
    expect(liquidation!.price).toBeCloseTo(expectedLp, 6);
    expect(liquidation!.markPrice).toBeCloseTo(expectedLp, 6);
    expect(liquidation!.lossUsdt).toBeCloseTo(wb, 9);
    expect(liquidation!.side).toBe('long');
    expect(liquidation!.size).toBe(q);

    expect(await exchange.fetchPositions(1)).toEqual([]);
    const balance = await exchange.fetchBalance();
    const openFee = q * ep * TAKER;
    expect(balance.walletBalanceUsdt).toBeCloseTo(1000 - openFee - wb, 9);
    expect(balance.equityUsdt).toBeCloseTo(balance.walletBalanceUsdt, 9);
    expect(exchange.totalsSoFar().liquidations).toBe(1);
  });

  it('is not liquidated in the 21:10 candle, whose mark low stays above the liquidation price', async () => {
    const { exchange, feed } = await openLongBefore2100();
    exchange.drainEvents();
    feed('BTCUSDT', '2025-10-10T21:05', '2025-10-10T21:15');
    expect(liquidations(exchange.drainEvents())).toHaveLength(0);
    expect(await exchange.fetchPositions(1)).toHaveLength(1);
  });

  it('fills a reduce-only stop placed well before the liquidation price at the trigger worsened by slippage, and there is no liquidation', async () => {
    const { exchange, feed, entry } = await openLongBefore2100();
    const ep = entry.averagePrice!;
    const stopPrice = roundPrice(ep * 0.97, 0.1, 'down');
    const [position] = await exchange.fetchPositions(1);
    expect(stopPrice).toBeGreaterThan(position!.liquidationPrice! * 1.01);
    await exchange.placeOrder(
      { symbol: 'BTCUSDT', side: 'sell', type: 'stop_market', quantity: 0.1, stopPrice, reduceOnly: true, clientOrderId: 'sl-1' },
      0,
    );
    exchange.drainEvents();
    feed('BTCUSDT', '2025-10-10T21:05', '2025-10-10T22:00');
    const events = exchange.drainEvents();
    expect(liquidations(events)).toHaveLength(0);
    const [stopFill] = fills(events);
    expect(stopFill!.order.clientOrderId).toBe('sl-1');
    expect(inCandle(stopFill!.order.updatedAt, '2025-10-10T21:10')).toBe(true);
    // The 21:10 candle (open 114382.3, low 109069) reaches the stop inside its path: no gap.
    const expectedFill = roundPrice(stopPrice * (1 - SLIPPAGE), 0.1, 'down');
    expect(expectedFill).toBeGreaterThan(109069);
    expect(stopFill!.order.averagePrice).toBe(expectedFill);
    expect(stopFill!.feeUsdt).toBeCloseTo(0.1 * expectedFill * TAKER, 9);
    expect(stopFill!.realizedPnlUsdt).toBeCloseTo(0.1 * (expectedFill - ep), 9);
    expect(stopFill!.positionAfter).toBeNull();

    const balance = await exchange.fetchBalance();
    expect(balance.walletBalanceUsdt).toBeCloseTo(1000 - 0.1 * ep * TAKER + 0.1 * (expectedFill - ep) - 0.1 * expectedFill * TAKER, 9);
    expect(balance.availableBalanceUsdt).toBeCloseTo(balance.walletBalanceUsdt, 9);
  });

  it('lets an event listener put the stop on the book the moment the entry fills, so it protects inside the entry candle', async () => {
    const venue = paperOnFixture(fixture, '2025-10-10T12:00', {
      onEvent: (event) => {
        if (event.kind !== 'fill' || event.order.clientOrderId !== 'entry-crash') return;
        const stopPrice = roundPrice(event.order.averagePrice! * 0.98, 0.1, 'down');
        venue.exchange.placeOrderNow({
          symbol: 'BTCUSDT',
          side: 'sell',
          type: 'stop_market',
          quantity: event.order.filledQuantity,
          stopPrice,
          reduceOnly: true,
          clientOrderId: 'sl-crash',
        });
      },
    });
    // `venue` is assigned before any event can fire: events only happen inside onCandle.
    venue.feed('BTCUSDT', '2025-10-10T12:00', '2025-10-10T21:15');
    await venue.exchange.setLeverage('BTCUSDT', 20);
    await venue.exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.1, 'entry-crash'), 1);
    venue.exchange.drainEvents();
    venue.feed('BTCUSDT', '2025-10-10T21:15', '2025-10-10T21:20');
    const events = venue.exchange.drainEvents();
    expect(liquidations(events)).toHaveLength(0);
    expect(fills(events).map((f) => f.order.clientOrderId)).toEqual(['entry-crash', 'sl-crash']);
    const stop = fills(events)[1]!.order;
    expect(stop.stopPrice).toBe(roundPrice(112193.7 * 0.98, 0.1, 'down'));
    expect(stop.averagePrice).toBe(roundPrice(stop.stopPrice! * (1 - SLIPPAGE), 0.1, 'down'));
  });

  it('fills the entry at openCandle, so a stop placed before finishCandle protects inside the entry candle (replay loop)', async () => {
    const venue = paperOnFixture(fixture, '2025-10-10T12:00');
    venue.feed('BTCUSDT', '2025-10-10T12:00', '2025-10-10T21:15');
    await venue.exchange.setLeverage('BTCUSDT', 20);
    await venue.exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.1, 'entry-two-phase'), 1);
    const [crashCandle] = closedCandles(fixture, 'BTCUSDT', utc('2025-10-10T21:15'), utc('2025-10-10T21:20'));
    venue.exchange.openCandle(crashCandle!);
    const entry = (await venue.exchange.fetchOrder('BTCUSDT', 'entry-two-phase'))!;
    expect(entry.status).toBe('filled');
    expect(entry.averagePrice).toBe(roundPrice(112137.6 * (1 + SLIPPAGE), 0.1, 'up'));
    const [position] = await venue.exchange.fetchPositions(1);
    expect(position!.markPrice).toBeGreaterThan(0);
    const stopPrice = roundPrice(entry.averagePrice! * 0.98, 0.1, 'down');
    await venue.exchange.placeOrder(
      { symbol: 'BTCUSDT', side: 'sell', type: 'stop_market', quantity: 0.1, stopPrice, reduceOnly: true, clientOrderId: 'sl-two-phase' },
      0,
    );
    venue.exchange.finishCandle(crashCandle!);
    const events = venue.exchange.drainEvents();
    expect(liquidations(events)).toHaveLength(0);
    expect(fills(events).map((f) => f.order.clientOrderId)).toEqual(['entry-two-phase', 'sl-two-phase']);
    expect(fills(events)[1]!.order.averagePrice).toBe(roundPrice(stopPrice * (1 - SLIPPAGE), 0.1, 'down'));
    // A candle delivered again is ignored.
    venue.exchange.onCandle(crashCandle!);
    expect(venue.exchange.drainEvents()).toEqual([]);
  });

  it('liquidates a 20x short on the rebound inside the same candle, on the way up from the low', async () => {
    const venue = paperOnFixture(fixture, '2025-10-10T12:00');
    venue.feed('BTCUSDT', '2025-10-10T12:00', '2025-10-10T21:20');
    await venue.exchange.setLeverage('BTCUSDT', 20);
    await venue.exchange.placeOrder(marketOrder('BTCUSDT', 'sell', 0.05, 'short-1'), 1);
    venue.exchange.drainEvents();
    // 21:20 candle: open 103441.3, low 101516.5, high 109550, close 108473 (closes up: open → low → high → close).
    venue.feed('BTCUSDT', '2025-10-10T21:20', '2025-10-10T21:25');
    const events = venue.exchange.drainEvents();
    const entry = fills(events)[0]!.order;
    expect(entry.averagePrice).toBe(roundPrice(103441.3 * (1 - SLIPPAGE), 0.1, 'down'));
    const [liquidation] = liquidations(events);
    const q = 0.05;
    const ep = entry.averagePrice!;
    const wb = (q * ep) / 20;
    // Short: LP = (WB + cum + q·EP) / (q·MMR + q).
    const expectedLp = (wb + 0 + q * ep) / (q * 0.004 + q);
    expect(liquidation!.price).toBeCloseTo(expectedLp, 6);
    expect(liquidation!.side).toBe('short');
    expect(liquidation!.lossUsdt).toBeCloseTo(wb, 9);
    expect(inCandle(liquidation!.at, '2025-10-10T21:20')).toBe(true);
  });

  it('cancels the remaining reduce-only take-profit when the stop closes the position (Binance expires it)', async () => {
    const { exchange, feed, entry } = await openLongBefore2100(15);
    const ep = entry.averagePrice!;
    await exchange.placeOrder(stopOrder('BTCUSDT', 'sell', 0.1, roundPrice(ep * 0.97, 0.1, 'down'), 'sl-2'), 0);
    await exchange.placeOrder(limitOrder('BTCUSDT', 'sell', 0.1, roundPrice(ep * 1.05, 0.1, 'nearest'), 'tp-2', true), 0);
    exchange.drainEvents();
    feed('BTCUSDT', '2025-10-10T21:05', '2025-10-10T21:30');
    const events = exchange.drainEvents();
    expect(events.map((e) => e.kind)).toEqual(['fill', 'canceled']);
    const tp = await exchange.fetchOrder('BTCUSDT', 'tp-2');
    expect(tp!.status).toBe('expired');
    expect(await exchange.fetchOpenOrders('BTCUSDT')).toEqual([]);
  });
});

describe('PaperExchange funding on the crash fixture', () => {
  it('charges a long once at 16:00 and once at 00:00 UTC with the data rate, at the mark price of that moment', async () => {
    const { exchange, feed } = paperOnFixture(fixture, '2025-10-10T12:00');
    feed('BTCUSDT', '2025-10-10T12:00', '2025-10-10T15:00');
    await exchange.setLeverage('BTCUSDT', 2);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.01, 'long-f'), 1);
    feed('BTCUSDT', '2025-10-10T15:00', '2025-10-11T01:00');
    // A candle delivered twice is ignored: no second charge.
    feed('BTCUSDT', '2025-10-10T23:55', '2025-10-11T00:00');

    const payments = await exchange.fetchFundingPayments('BTCUSDT', 0);
    expect(payments.map((p) => p.timestamp)).toEqual([utc('2025-10-10T16:00'), utc('2025-10-11T00:00')]);
    // Mark at 16:00 and 00:00 = close of the 15:00 and 23:00 mark candles; rates from the funding file.
    expect(payments[0]!.amountUsdt).toBeCloseTo(-0.01 * 118962.1 * 0.00001013, 12);
    expect(payments[1]!.amountUsdt).toBeCloseTo(-0.01 * 112722 * 0.0001, 12);
    expect(await exchange.fetchFundingPayments('BTCUSDT', utc('2025-10-10T16:00') + 1)).toHaveLength(1);

    const fundingEvents = exchange.drainEvents().filter((e) => e.kind === 'funding');
    expect(fundingEvents).toHaveLength(2);
    expect(fundingEvents.map((e) => (e.kind === 'funding' ? e.rate : null))).toEqual([0.00001013, 0.0001]);

    const [position] = await exchange.fetchPositions(1);
    const entryMargin = (0.01 * position!.entryPrice) / 2;
    expect(position!.isolatedMarginUsdt).toBeCloseTo(entryMargin + payments[0]!.amountUsdt + payments[1]!.amountUsdt, 9);
  });

  it('lets a short receive when the rate is positive and pay when it is negative', async () => {
    const { exchange, feed } = paperOnFixture(fixture, '2025-10-10T12:00');
    feed('ETHUSDT', '2025-10-10T12:00', '2025-10-10T15:00');
    await exchange.setLeverage('ETHUSDT', 2);
    await exchange.placeOrder(marketOrder('ETHUSDT', 'sell', 0.1, 'short-f'), 1);
    feed('ETHUSDT', '2025-10-10T15:00', '2025-10-11T00:05');
    const payments = await exchange.fetchFundingPayments('ETHUSDT', 0);
    expect(payments).toHaveLength(2);
    // ETH 16:00 rate −0.00005147: shorts pay; 00:00 rate +0.0001: shorts receive.
    expect(payments[0]!.amountUsdt).toBeLessThan(0);
    expect(payments[1]!.amountUsdt).toBeGreaterThan(0);
    const marks = fixture.history.get('ETHUSDT')!.mark!;
    const markClose = (iso: string): number => marks.find((m) => m.timestamp === utc(iso))!.close;
    expect(payments[0]!.amountUsdt).toBeCloseTo(0.1 * markClose('2025-10-10T15:00') * -0.00005147, 12);
    expect(payments[1]!.amountUsdt).toBeCloseTo(0.1 * markClose('2025-10-10T23:00') * 0.0001, 12);
  });

  it('uses the fallback rate for a symbol without funding data', async () => {
    const funding = new Map(fixture.funding);
    funding.delete('SOLUSDT');
    const { exchange, feed } = paperOnFixture(fixture, '2025-10-10T12:00', { funding, fundingRateFallback: 0.0002 });
    feed('SOLUSDT', '2025-10-10T12:00', '2025-10-10T15:00');
    await exchange.setLeverage('SOLUSDT', 2);
    await exchange.placeOrder(marketOrder('SOLUSDT', 'buy', 1, 'sol-f'), 1);
    feed('SOLUSDT', '2025-10-10T15:00', '2025-10-10T16:05');
    const [payment, ...rest] = await exchange.fetchFundingPayments('SOLUSDT', 0);
    expect(rest).toHaveLength(0);
    const markClose1500 = fixture.history.get('SOLUSDT')!.mark!.find((m) => m.timestamp === utc('2025-10-10T15:00'))!.close;
    expect(payment!.timestamp).toBe(utc('2025-10-10T16:00'));
    expect(payment!.amountUsdt).toBeCloseTo(-1 * markClose1500 * 0.0002, 12);
  });
});
