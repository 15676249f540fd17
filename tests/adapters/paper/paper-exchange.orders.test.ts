/**
 * Order entry and fills of the paper exchange: what Binance rejects is rejected with
 * Binance's code; market orders fill at the next price; stops, take-profits and limits
 * fill where the intrabar path reaches them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/clock.js';
import { PaperExchange } from '../../../src/adapters/paper/index.js';
import type { PaperEvent, PaperExchangeOptions } from '../../../src/adapters/paper/index.js';
import { roundPrice } from '../../../src/engine/exchange-rules.js';
import type { ClosedCandle } from '../../../src/engine/ports.js';
import type { SymbolRules } from '../../../src/engine/types.js';
import { InsufficientFundsError, InvalidOrderError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/logger.js';
import { FIVE_MIN_MS, closedCandles, loadCrashFixture, limitOrder, marketOrder, paperOnFixture, stopOrder, utc } from './crash-fixture.js';
import type { CrashFixture } from './crash-fixture.js';

let fixture: CrashFixture;
beforeAll(async () => {
  fixture = await loadCrashFixture();
});

const T0 = utc('2025-01-01T00:00');

/** A synthetic BTCUSDT candle (no mark candle: mark = trade price). */
function bar(index: number, open: number, high: number, low: number, close: number): ClosedCandle {
  return { symbol: 'BTCUSDT', candle: { timestamp: T0 + index * FIVE_MIN_MS, open, high, low, close, volume: 1 }, mark: null };
}

function syntheticVenue(options: Partial<PaperExchangeOptions> = {}): { exchange: PaperExchange; clock: ManualClock } {
  const clock = new ManualClock(T0);
  // 5x by default: the stop tests must not meet a liquidation first.
  const exchange = new PaperExchange({
    rules: fixture.rules,
    clock,
    logger: silentLogger,
    funding: new Map(),
    defaultLeverage: 5,
    ...options,
  });
  return { exchange, clock };
}

/** Feeds bars in order and moves the clock to each close. */
function feedBars(exchange: PaperExchange, clock: ManualClock, bars: readonly ClosedCandle[]): void {
  for (const b of bars) {
    exchange.onCandle(b);
    clock.set(b.candle.timestamp + FIVE_MIN_MS);
  }
}

function fillsOf(events: readonly PaperEvent[]): Extract<PaperEvent, { kind: 'fill' }>[] {
  return events.filter((e): e is Extract<PaperEvent, { kind: 'fill' }> => e.kind === 'fill');
}

async function rejection(promise: Promise<unknown>): Promise<InvalidOrderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidOrderError);
  return error as InvalidOrderError;
}

describe('PaperExchange fills', () => {
  it('fills a market order at the NEXT candle open with slippage against the trader, on the tick grid, with the taker fee', async () => {
    const { exchange, feed } = paperOnFixture(fixture, '2025-10-10T12:00');
    feed('BTCUSDT', '2025-10-10T12:00', '2025-10-10T14:00');
    const decidedClose = closedCandles(fixture, 'BTCUSDT', utc('2025-10-10T13:55'), utc('2025-10-10T14:00'))[0]!.candle.close;
    const nextOpen = closedCandles(fixture, 'BTCUSDT', utc('2025-10-10T14:00'), utc('2025-10-10T14:05'))[0]!.candle.open;
    const placed = await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.01, 'mkt-buy'), 1);
    expect(placed.status).toBe('new');
    feed('BTCUSDT', '2025-10-10T14:00', '2025-10-10T14:05');
    const bought = (await exchange.fetchOrder('BTCUSDT', 'mkt-buy'))!;
    const expectedBuy = roundPrice(nextOpen * 1.0005, 0.1, 'up');
    expect(bought.status).toBe('filled');
    expect(bought.averagePrice).toBe(expectedBuy);
    expect(bought.averagePrice).toBeGreaterThan(nextOpen * 1.0005 - 1e-9);
    expect(bought.averagePrice).not.toBe(decidedClose);
    expect(bought.updatedAt).toBe(utc('2025-10-10T14:00'));
    expect(bought.feeUsdt).toBeCloseTo(0.01 * expectedBuy * 0.0005, 12);

    await exchange.placeOrder(marketOrder('BTCUSDT', 'sell', 0.01, 'mkt-sell', true), 0);
    feed('BTCUSDT', '2025-10-10T14:05', '2025-10-10T14:10');
    const sellOpen = closedCandles(fixture, 'BTCUSDT', utc('2025-10-10T14:05'), utc('2025-10-10T14:10'))[0]!.candle.open;
    const sold = (await exchange.fetchOrder('BTCUSDT', 'mkt-sell'))!;
    expect(sold.averagePrice).toBe(roundPrice(sellOpen * 0.9995, 0.1, 'down'));
    expect(sold.averagePrice).toBeLessThan(sellOpen * 0.9995 + 1e-9);
  });

  it('fills a resting reduce-only limit take-profit at its own price when the path touches it, with the maker fee', async () => {
    const { exchange, clock } = syntheticVenue();
    feedBars(exchange, clock, [bar(0, 100, 100, 100, 100)]);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 1, 'e'), 1);
    feedBars(exchange, clock, [bar(1, 100, 100.5, 99.8, 100.2)]);
    await exchange.placeOrder(limitOrder('BTCUSDT', 'sell', 1, 101.5, 'tp', true), 0);
    exchange.drainEvents();
    feedBars(exchange, clock, [bar(2, 100.2, 101.4, 100.1, 101.0)]);
    expect(fillsOf(exchange.drainEvents())).toHaveLength(0);
    feedBars(exchange, clock, [bar(3, 101.0, 101.5, 100.9, 101.2)]);
    const [tp] = fillsOf(exchange.drainEvents());
    expect(tp!.order.averagePrice).toBe(101.5);
    expect(tp!.feeUsdt).toBeCloseTo(101.5 * 0.0002, 12);
    expect(tp!.realizedPnlUsdt).toBeCloseTo(101.5 - 100.1, 9); // entry 100 + slippage → 100.1
  });

  it('fills a take-profit-market at its trigger worsened by slippage, with the taker fee', async () => {
    const { exchange, clock } = syntheticVenue({ slippageRate: 0.001 });
    feedBars(exchange, clock, [bar(0, 100, 100, 100, 100)]);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'sell', 1, 'e'), 1);
    feedBars(exchange, clock, [bar(1, 100, 100, 100, 100)]);
    await exchange.placeOrder(
      { symbol: 'BTCUSDT', side: 'buy', type: 'take_profit_market', quantity: 1, stopPrice: 97, reduceOnly: true, clientOrderId: 'tpm' },
      0,
    );
    exchange.drainEvents();
    feedBars(exchange, clock, [bar(2, 100, 100, 96, 96.5)]);
    const [tp] = fillsOf(exchange.drainEvents());
    expect(tp!.order.averagePrice).toBe(roundPrice(97 * 1.001, 0.1, 'up'));
    expect(tp!.feeUsdt).toBeCloseTo(tp!.order.averagePrice! * 0.0005, 12);
  });

  it('fills a stop at the open when the candle gaps through it', async () => {
    const { exchange, clock } = syntheticVenue();
    feedBars(exchange, clock, [bar(0, 100, 100, 100, 100)]);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 1, 'e'), 1);
    feedBars(exchange, clock, [bar(1, 100, 100, 100, 100)]);
    await exchange.placeOrder(stopOrder('BTCUSDT', 'sell', 1, 95, 'sl'), 0);
    exchange.drainEvents();
    feedBars(exchange, clock, [bar(2, 94, 94.5, 93, 93.5)]);
    const [sl] = fillsOf(exchange.drainEvents());
    expect(sl!.order.averagePrice).toBe(94);
    expect(sl!.order.updatedAt).toBe(T0 + 2 * FIVE_MIN_MS);
  });

  it('never fills a stop beyond the candle extreme', async () => {
    const { exchange, clock } = syntheticVenue({ slippageRate: 0.01 });
    feedBars(exchange, clock, [bar(0, 100, 100, 100, 100)]);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 1, 'e'), 1);
    feedBars(exchange, clock, [bar(1, 100, 100, 100, 100)]);
    await exchange.placeOrder(stopOrder('BTCUSDT', 'sell', 1, 95, 'sl'), 0);
    exchange.drainEvents();
    // Trigger 95 × (1 − 1 %) = 94.05, but the candle's low is 94.5.
    feedBars(exchange, clock, [bar(2, 96, 96.2, 94.5, 95.5)]);
    const [sl] = fillsOf(exchange.drainEvents());
    expect(sl!.order.averagePrice).toBe(94.5);
  });

  it('walks open → high → low → close on a down candle: a short stop above fires before a long-side price below matters', async () => {
    const { exchange, clock } = syntheticVenue();
    feedBars(exchange, clock, [bar(0, 100, 100, 100, 100)]);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'sell', 1, 'e'), 1);
    feedBars(exchange, clock, [bar(1, 100, 100, 100, 100)]);
    await exchange.placeOrder(stopOrder('BTCUSDT', 'buy', 1, 102, 'sl'), 0);
    await exchange.placeOrder(limitOrder('BTCUSDT', 'buy', 1, 97, 'tp', true), 0);
    exchange.drainEvents();
    // Closes down (99 < 100): open → high 103 (stop) → low 96 (TP would be touched, but the position is gone).
    feedBars(exchange, clock, [bar(2, 100, 103, 96, 99)]);
    const events = exchange.drainEvents();
    expect(fillsOf(events).map((f) => f.order.clientOrderId)).toEqual(['sl']);
    expect((await exchange.fetchOrder('BTCUSDT', 'tp'))!.status).toBe('expired');
  });

  it('liquidates before the stop when the mark reaches the liquidation price first, and expires the stop', async () => {
    const { exchange, clock } = syntheticVenue();
    await exchange.setLeverage('BTCUSDT', 100);
    feedBars(exchange, clock, [bar(0, 1000, 1000, 1000, 1000)]);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 1, 'e'), 1);
    feedBars(exchange, clock, [bar(1, 1000, 1000, 1000, 1000)]);
    const [position] = await exchange.fetchPositions(1);
    const lp = position!.liquidationPrice!;
    expect(lp).toBeGreaterThan(990);
    await exchange.placeOrder(stopOrder('BTCUSDT', 'sell', 1, 985, 'sl'), 0);
    exchange.drainEvents();
    feedBars(exchange, clock, [bar(2, 1000, 1000, 980, 982)]);
    const events = exchange.drainEvents();
    expect(events.map((e) => e.kind)).toEqual(['liquidation', 'canceled']);
    const liquidation = events[0] as Extract<PaperEvent, { kind: 'liquidation' }>;
    expect(liquidation.price).toBeCloseTo(lp, 9);
    expect(liquidation.lossUsdt).toBeCloseTo(position!.isolatedMarginUsdt, 9);
    expect((await exchange.fetchOrder('BTCUSDT', 'sl'))!.status).toBe('expired');
  });

  it('lets a limit order that crosses the next price take liquidity there (taker), and rest otherwise', async () => {
    const { exchange, clock } = syntheticVenue();
    feedBars(exchange, clock, [bar(0, 100, 100, 100, 100)]);
    await exchange.placeOrder(limitOrder('BTCUSDT', 'buy', 1, 101, 'cross'), 1);
    await exchange.placeOrder(limitOrder('BTCUSDT', 'buy', 1, 99, 'rest'), 1);
    feedBars(exchange, clock, [bar(1, 100.5, 100.6, 100.2, 100.4)]);
    const crossed = (await exchange.fetchOrder('BTCUSDT', 'cross'))!;
    expect(crossed.averagePrice).toBe(roundPrice(100.5 * 1.0005, 0.1, 'up'));
    expect(crossed.feeUsdt).toBeCloseTo(crossed.averagePrice! * 0.0005, 12);
    expect((await exchange.fetchOrder('BTCUSDT', 'rest'))!.status).toBe('new');
    // The price later gaps below the resting bid: it fills at its own price, as a maker.
    feedBars(exchange, clock, [bar(2, 98.5, 98.8, 98.0, 98.6)]);
    const rested = (await exchange.fetchOrder('BTCUSDT', 'rest'))!;
    expect(rested.averagePrice).toBe(99);
    expect(rested.feeUsdt).toBeCloseTo(99 * 0.0002, 12);
    const [position] = await exchange.fetchPositions(1);
    expect(position!.size).toBe(2);
    expect(position!.entryPrice).toBeCloseTo((crossed.averagePrice! + 99) / 2, 9);
  });
});

describe('PaperExchange on live tickers', () => {
  it('fills a pending market order at the ticker price ± slippage and a stop the price is through at that price', async () => {
    const { exchange } = syntheticVenue();
    exchange.onTicker('BTCUSDT', 100, 100.05, T0);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 1, 'e'), 1);
    exchange.onTicker('BTCUSDT', 100.2, 100.25, T0 + 2000);
    expect((await exchange.fetchOrder('BTCUSDT', 'e'))!.averagePrice).toBe(roundPrice(100.2 * 1.0005, 0.1, 'up'));
    await exchange.placeOrder(stopOrder('BTCUSDT', 'sell', 1, 99, 'sl'), 0);
    exchange.onTicker('BTCUSDT', 99.5, 99.55, T0 + 4000);
    expect((await exchange.fetchOrder('BTCUSDT', 'sl'))!.status).toBe('new');
    exchange.onTicker('BTCUSDT', 98.7, 98.75, T0 + 6000);
    const sl = (await exchange.fetchOrder('BTCUSDT', 'sl'))!;
    expect(sl.averagePrice).toBe(98.7);
    expect(sl.updatedAt).toBe(T0 + 6000);
  });

  it('liquidates on the ticker mark price, not the trade price', async () => {
    const { exchange } = syntheticVenue();
    await exchange.setLeverage('BTCUSDT', 50);
    exchange.onTicker('BTCUSDT', 1000, 1000, T0);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 1, 'e'), 1);
    exchange.onTicker('BTCUSDT', 1000, 1000, T0 + 1000);
    const lp = (await exchange.fetchPositions(1))[0]!.liquidationPrice!;
    exchange.drainEvents();
    exchange.onTicker('BTCUSDT', lp - 1, lp + 1, T0 + 2000); // trade below, mark above: no liquidation
    expect(exchange.drainEvents()).toEqual([]);
    exchange.onTicker('BTCUSDT', lp + 1, lp - 1, T0 + 3000);
    const [liquidation] = exchange.drainEvents();
    expect(liquidation).toMatchObject({ kind: 'liquidation', markPrice: lp - 1 });
  });
});

describe('PaperExchange order book keeping', () => {
  it('keeps open orders and a bounded history of closed ones', async () => {
    const { exchange, clock } = syntheticVenue({ orderHistoryLimit: 3 });
    feedBars(exchange, clock, [bar(0, 100, 100, 100, 100)]);
    for (let i = 0; i < 110; i++) {
      await exchange.placeOrder(
        { symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 1, price: 50, reduceOnly: false, clientOrderId: `o${i}` },
        1,
      );
      await exchange.cancelOrder('BTCUSDT', `o${i}`, 0);
    }
    await exchange.placeOrder(limitOrder('BTCUSDT', 'buy', 1, 50, 'still-open'), 1);
    expect((await exchange.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(['still-open']);
    expect(await exchange.fetchOpenOrders('ETHUSDT')).toEqual([]);
    expect(await exchange.fetchOrder('BTCUSDT', 'o109')).not.toBeNull();
    expect(await exchange.fetchOrder('BTCUSDT', 'o0')).toBeNull();
    expect(exchange.toJSON().orders.length).toBeLessThanOrEqual(3 + 100 + 1);
  });
});

describe('PaperExchange rejects what Binance rejects', () => {
  async function venueWithPrice(options: Partial<PaperExchangeOptions> = {}): Promise<PaperExchange> {
    const { exchange, clock } = syntheticVenue(options);
    feedBars(exchange, clock, [bar(0, 100000, 100000, 100000, 100000)]);
    return exchange;
  }

  it('rejects a quantity off the step grid with -1111', async () => {
    const exchange = await venueWithPrice();
    expect((await rejection(exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.0015, 'a'), 1))).code).toBe('-1111');
  });

  it('rejects a price off the tick grid with -1111', async () => {
    const exchange = await venueWithPrice();
    const error = await rejection(exchange.placeOrder(limitOrder('BTCUSDT', 'buy', 0.001, 99000.05, 'a'), 1));
    expect(error.code).toBe('-1111');
  });

  it('rejects a quantity below minQty with -4004', async () => {
    const btc = fixture.rules.get('BTCUSDT')!;
    const rules = new Map<string, SymbolRules>([['BTCUSDT', { ...btc, filters: { ...btc.filters, minQty: 0.005, marketMinQty: 0.005 } }]]);
    const exchange = await venueWithPrice({ rules });
    expect((await rejection(exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.002, 'a'), 1))).code).toBe('-4004');
  });

  it('rejects a non-reduce-only notional below 10 USDT (filters without minNotional) or below minNotional with -4164', async () => {
    const exchange = await venueWithPrice();
    // 0.0001 BTC is off-step; use a limit far below the market: 0.001 × 9000 = 9 USDT.
    const small = await rejection(exchange.placeOrder(limitOrder('BTCUSDT', 'buy', 0.001, 9000, 'a'), 1));
    expect(small.code).toBe('-4164');

    const btc = fixture.rules.get('BTCUSDT')!;
    const rules = new Map<string, SymbolRules>([['BTCUSDT', { ...btc, filters: { ...btc.filters, minNotional: 200 } }]]);
    const strict = await venueWithPrice({ rules });
    expect((await rejection(strict.placeOrder(marketOrder('BTCUSDT', 'buy', 0.001, 'b'), 1))).code).toBe('-4164');
    expect((await strict.placeOrder(marketOrder('BTCUSDT', 'buy', 0.002, 'c'), 1)).status).toBe('new');
  });

  it('rejects a reduce-only order that would open or increase a position with -2022', async () => {
    const { exchange, clock } = syntheticVenue();
    feedBars(exchange, clock, [bar(0, 100000, 100000, 100000, 100000)]);
    expect((await rejection(exchange.placeOrder(marketOrder('BTCUSDT', 'sell', 0.001, 'a', true), 0))).code).toBe('-2022');
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.001, 'b'), 1);
    feedBars(exchange, clock, [bar(1, 100000, 100000, 100000, 100000)]);
    expect((await rejection(exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.001, 'c', true), 0))).code).toBe('-2022');
    // Reducing is fine, even below the minimum notional (Binance exempts reduce-only).
    expect((await exchange.placeOrder(marketOrder('BTCUSDT', 'sell', 0.001, 'd', true), 0)).status).toBe('new');
  });

  it('rejects a duplicate client order id with -4116, also after the first order filled', async () => {
    const { exchange, clock } = syntheticVenue();
    feedBars(exchange, clock, [bar(0, 100000, 100000, 100000, 100000)]);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.001, 'same'), 1);
    expect((await rejection(exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.001, 'same'), 1))).code).toBe('-4116');
    feedBars(exchange, clock, [bar(1, 100000, 100000, 100000, 100000)]);
    expect((await exchange.fetchOrder('BTCUSDT', 'same'))!.status).toBe('filled');
    expect((await rejection(exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.001, 'same'), 1))).code).toBe('-4116');
  });

  it('refuses an order whose initial margin and fee exceed the available balance with InsufficientFundsError (-2019)', async () => {
    const exchange = await venueWithPrice();
    await exchange.setLeverage('BTCUSDT', 10);
    // 0.1 BTC at 100 000 at 10x = 1000 USDT margin + 5 USDT fee > 1000 USDT.
    const error = await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.1, 'big'), 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientFundsError);
    expect((error as Error).message).toContain('-2019');
    expect(await exchange.fetchOrder('BTCUSDT', 'big')).toBeNull();
    // 0.09 BTC fits: 900 + 4.5.
    expect((await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.09, 'fits'), 1)).status).toBe('new');
    // The open order holds its margin: a second one no longer fits.
    const balance = await exchange.fetchBalance();
    expect(balance.availableBalanceUsdt).toBeCloseTo(1000 - 900 - 4.5, 9);
    await expect(exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.01, 'second'), 1)).rejects.toBeInstanceOf(InsufficientFundsError);
    await exchange.cancelOrder('BTCUSDT', 'fits', 0);
    expect((await exchange.fetchBalance()).availableBalanceUsdt).toBe(1000);
    expect((await exchange.fetchOrder('BTCUSDT', 'fits'))!.status).toBe('canceled');
  });

  it('rejects leverage that is not a whole number within the bracket maximum (-4028) and a position above the cap for the leverage (-2027)', async () => {
    const exchange = await venueWithPrice();
    await expect(exchange.setLeverage('BTCUSDT', 126)).rejects.toMatchObject({ code: '-4028' });
    await expect(exchange.setLeverage('BTCUSDT', 2.5)).rejects.toMatchObject({ code: '-4028' });
    await expect(exchange.setLeverage('BTCUSDT', 0)).rejects.toMatchObject({ code: '-4028' });
    await exchange.setLeverage('BTCUSDT', 125);
    // 125x is allowed up to 50 000 USDT notional (bracket 1); 0.6 BTC at 100 000 = 60 000.
    expect((await rejection(exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.6, 'a'), 1))).code).toBe('-2027');
  });

  it('rejects a stop that would trigger immediately with -2021', async () => {
    const { exchange, clock } = syntheticVenue();
    feedBars(exchange, clock, [bar(0, 100000, 100000, 100000, 100000)]);
    await exchange.placeOrder(marketOrder('BTCUSDT', 'buy', 0.001, 'e'), 1);
    feedBars(exchange, clock, [bar(1, 100000, 100000, 100000, 100000)]);
    expect((await rejection(exchange.placeOrder(stopOrder('BTCUSDT', 'sell', 0.001, 100001, 'sl'), 0))).code).toBe('-2021');
  });

  it('answers unknown orders like Binance: cancel → -2011, fetch → null', async () => {
    const exchange = await venueWithPrice();
    expect((await rejection(exchange.cancelOrder('BTCUSDT', 'nope', 0))).code).toBe('-2011');
    expect(await exchange.fetchOrder('BTCUSDT', 'nope')).toBeNull();
    expect((await rejection(exchange.placeOrder(marketOrder('NOPEUSDT', 'buy', 1, 'x'), 1))).code).toBe('-1121');
  });

  it('returns the rules it was built with', async () => {
    const exchange = await venueWithPrice();
    expect((await exchange.loadRules(['BTCUSDT'])).get('BTCUSDT')).toBe(fixture.rules.get('BTCUSDT'));
  });
});
