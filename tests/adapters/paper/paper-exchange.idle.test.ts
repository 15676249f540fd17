/**
 * The idle fast path (a symbol with no position and no open order) must leave the venue in
 * exactly the state the full candle walk leaves it in. The reference venue is never idle:
 * each symbol carries an "anchor", a buy limit far below the market that never fills, so
 * every candle takes the full walk. The venue under test places the same anchors and
 * cancels them before the first candle (same order numbers, idle symbols). Apart from the
 * anchors, both states must be equal after every candle.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/clock.js';
import { PaperExchange, type PaperState } from '../../../src/adapters/paper/index.js';
import type { OrderRequest } from '../../../src/engine/types.js';
import { silentLogger } from '../../../src/logger.js';
import { FIVE_MIN_MS, closedCandles, limitOrder, loadCrashFixture, marketOrder, utc } from './crash-fixture.js';
import type { CrashFixture } from './crash-fixture.js';

let fixture: CrashFixture;
beforeAll(async () => {
  fixture = await loadCrashFixture();
});

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'] as const;

/** Buy limits at about a tenth of the fixture's prices (10 USDT notional): never reached. */
const ANCHORS: readonly OrderRequest[] = [
  limitOrder('BTCUSDT', 'buy', 0.001, 10_000, 'anchor-BTC'),
  limitOrder('ETHUSDT', 'buy', 0.025, 400, 'anchor-ETH'),
];
const isAnchor = (clientOrderId: string): boolean => clientOrderId.startsWith('anchor-');

function venue(anchored: boolean): { exchange: PaperExchange; clock: ManualClock } {
  const clock = new ManualClock(utc('2025-10-10T12:00'));
  const exchange = new PaperExchange({ rules: fixture.rules, clock, logger: silentLogger, funding: fixture.funding });
  for (const anchor of ANCHORS) exchange.placeOrderNow(anchor);
  if (!anchored) for (const anchor of ANCHORS) exchange.cancelOrderNow(anchor.symbol, anchor.clientOrderId);
  return { exchange, clock };
}

/** The venue's state without the anchors (their orders and the events about them). */
function withoutAnchors(state: PaperState): PaperState {
  return {
    ...state,
    orders: state.orders.filter((r) => !isAnchor(r.state.clientOrderId)),
    events: state.events.filter((e) => !('order' in e) || !isAnchor(e.order.clientOrderId)),
  };
}

describe('paper exchange idle fast path', () => {
  it('leaves the same state as the full walk, candle by candle, through entries, exits and funding', async () => {
    const fast = venue(false);
    const full = venue(true);
    expect(await full.exchange.fetchOpenOrders()).toHaveLength(ANCHORS.length);
    expect(await fast.exchange.fetchOpenOrders()).toHaveLength(0);
    const bySymbol = SYMBOLS.map((s) => closedCandles(fixture, s, utc('2025-10-10T12:00'), utc('2025-10-11T06:00')));
    const steps = bySymbol[0]!.length;
    expect(steps).toBeGreaterThan(100);
    for (let i = 0; i < steps; i++) {
      for (const { exchange, clock } of [fast, full]) {
        const batch = bySymbol.map((candles) => candles[i]!);
        clock.set(batch[0]!.candle.timestamp);
        for (const closed of batch) exchange.openCandle(closed);
        for (const closed of batch) exchange.finishCandle(closed);
        clock.set(batch[0]!.candle.timestamp + FIVE_MIN_MS);
        // Trade now and then so both idle and busy stretches are covered (a position held over 16:00 pays funding).
        if (i === 10) exchange.placeOrderNow(marketOrder('BTCUSDT', 'buy', 0.01, `e${i}`));
        if (i === 60) exchange.placeOrderNow(marketOrder('BTCUSDT', 'sell', 0.01, `x${i}`, true));
        if (i === 70) exchange.placeOrderNow(marketOrder('ETHUSDT', 'sell', 0.2, `e${i}`));
        if (i === 150) exchange.placeOrderNow(marketOrder('ETHUSDT', 'buy', 0.2, `x${i}`, true));
      }
      expect(withoutAnchors(fast.exchange.toJSON()), `state after candle ${i}`).toEqual(withoutAnchors(full.exchange.toJSON()));
    }
    expect(fast.exchange.totalsSoFar().fills).toBe(4);
    expect((await fast.exchange.fetchFundingPayments('BTCUSDT', 0)).length).toBeGreaterThan(0);
    // The anchors kept the reference on the full walk to the end.
    expect((await full.exchange.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(['anchor-BTC', 'anchor-ETH']);
  });
});
