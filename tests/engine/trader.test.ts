/**
 * The Trader on the paper venue: exits decided at the controller's tick (SL, TP, time,
 * manual/emergency, liquidation risk, signal reversal), persist before acting, start-up
 * reconciliation, pause, the account read budget, and reproducible exploration.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { clientOrderId } from '../../src/engine/client-order-id.js';
import type { ClosedCandle } from '../../src/engine/ports.js';
import { replayStep } from '../../src/engine/replay-loop.js';
import type { Candle, ExitReason } from '../../src/engine/types.js';
import { OrderUncertainError, RetryableExchangeError } from '../../src/errors.js';
import { CANDLE_MS, TraderHarness, loadBtcCandles, signalsIn } from './helpers/trader-harness.js';

const closed = (symbol: string, candle: Candle): ClosedCandle => ({ symbol, candle, mark: null });

let candles: Candle[];
beforeAll(async () => {
  candles = await loadBtcCandles(1500);
});

/** A harness whose Trader has seen every candle before `index` and whose clock is at that candle's close. */
function atSignal(index: number, harness = new TraderHarness()): TraderHarness {
  harness.trader.warmUp('BTCUSDT', candles.slice(0, index));
  harness.clock.set(candles[index]!.timestamp + CANDLE_MS);
  return harness;
}

function firstSignal(side?: 'long' | 'short'): { index: number; side: 'long' | 'short' } {
  const found = signalsIn(candles).find((s) => side === undefined || s.signal.side === side);
  if (found === undefined) throw new Error('no signal in the test candles');
  return { index: found.index, side: found.signal.side };
}

describe('Trader exits at the control tick', () => {
  it('records a stop-loss once when the paper stop fills', async () => {
    const h = new TraderHarness();
    const position = await h.openPosition({ side: 'long', price: 100_000, slPct: 0.01 });
    expect(position.slPrice).toBe(99_000);
    expect(await h.paper.fetchOpenOrders('BTCUSDT')).toHaveLength(2);

    h.clock.advance(60_000);
    h.price('BTCUSDT', 98_900);
    await h.tick();
    await h.tick();
    await h.tick();

    expect(h.recordedTrades).toHaveLength(1);
    const [trade] = h.trades();
    expect(trade!.exitReason).toBe('sl');
    expect(trade!.exitPrice).toBe(98_900);
    expect(trade!.pnlUsdt).toBeLessThan(0);
    expect(trade!.liquidated).toBe(false);
    expect(h.trader.managedPositions()).toHaveLength(0);
    expect(await h.paper.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    expect(h.trader.engineState().closedTradeCount).toBe(1);
  });

  it('records a take-profit as tp', async () => {
    const h = new TraderHarness();
    const position = await h.openPosition({ side: 'short', price: 100_000, tpPct: 0.015 });
    expect(position.tpPrice).toBe(98_500);
    h.clock.advance(60_000);
    h.price('BTCUSDT', 98_400);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['tp']);
    expect(h.trades()[0]!.pnlUsdt).toBeGreaterThan(0);
  });

  it('closes on the time stop once the position is older than timeStopMs', async () => {
    const h = new TraderHarness({ trader: { timeStopMs: 3_600_000 } });
    await h.openPosition();
    h.clock.advance(3_599_000);
    await h.tick();
    expect(h.exchange.calls('placeOrder').filter((c) => c.detail?.startsWith('slt_c_'))).toHaveLength(0);

    h.clock.advance(1_000);
    await h.tick();
    const close = h.exchange.calls('placeOrder').find((c) => c.detail?.startsWith('slt_c_'));
    expect(close?.priority).toBe(0);
    h.price('BTCUSDT', 100_100);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['time']);
  });

  it.each<ExitReason>(['manual', 'emergency'])('sends a requested %s close on priority 0 and records that reason', async (reason) => {
    const h = new TraderHarness();
    await h.openPosition();
    expect(h.trader.requestExit('BTCUSDT', reason)).toBe(true);
    expect(h.trader.requestExit('ETHUSDT', reason)).toBe(false);
    h.clock.advance(2_000);
    await h.tick();

    const closes = h.exchange.calls('placeOrder').filter((c) => c.detail?.startsWith('slt_c_'));
    expect(closes).toHaveLength(1);
    expect(closes[0]!.priority).toBe(0);
    expect(h.trader.managedPositions()[0]!.exitReason).toBe(reason);

    h.price('BTCUSDT', 100_050);
    await h.tick();
    const [trade] = h.trades();
    expect(trade!.exitReason).toBe(reason);
    expect(trade!.exitPrice).toBe(100_050);
    expect(h.trader.managedPositions()).toHaveLength(0);
  });

  it('closes for liquidation risk when the mark comes inside the buffer before the stop fires', async () => {
    const h = new TraderHarness();
    const position = await h.openPosition({ side: 'long', leverage: 20, slPct: 0.01 });
    // Trade price still above the stop; the mark (a wick) within 0.5 % of the liquidation price.
    const markInBuffer = position.liquidationPrice + 0.003 * position.entryPrice;
    h.clock.advance(1_000);
    h.price('BTCUSDT', 99_500, markInBuffer);
    await h.tick();
    const close = h.exchange.calls('placeOrder').find((c) => c.detail?.startsWith('slt_c_'));
    expect(close?.priority).toBe(0);
    h.price('BTCUSDT', 99_400, 99_400);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['liquidation_risk']);
  });

  it('uses the exchange’s current liquidation price, which funding moves closer', async () => {
    const h = new TraderHarness();
    const position = await h.openPosition({ side: 'long', leverage: 20 });
    // The venue now reports a liquidation price 1 % higher than at entry (margin eaten by funding).
    const positions = (await h.paper.fetchPositions(1)).map((p) => ({
      ...p,
      liquidationPrice: position.liquidationPrice + 1_000,
      markPrice: position.liquidationPrice + 1_300,
    }));
    await h.trader.controlTick(positions);
    expect(h.trader.managedPositions()[0]!.exitReason).toBe('liquidation_risk');
  });

  it('closes on a signal reversal and records it as signal', async () => {
    const { index, side } = firstSignal();
    const h = atSignal(index);
    const opposite = side === 'long' ? 'short' : 'long';
    const price = candles[index - 1]!.close;
    await h.openPosition({ side: opposite, price, slPct: 0.02, tpPct: 0.03 });

    await h.trader.onCandles([closed('BTCUSDT', candles[index]!)]);
    await h.tick();
    const close = h.exchange.calls('placeOrder').find((c) => c.detail?.startsWith('slt_c_'));
    expect(close?.priority).toBe(0);
    h.price('BTCUSDT', candles[index]!.close);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['signal']);
  });

  it('keeps a reversal flagged while a tick is running for the next tick', async () => {
    const { index, side } = firstSignal();
    const h = atSignal(index, new TraderHarness({ symbols: ['BTCUSDT', 'BTC2USDT'], clonesOfBtc: ['BTC2USDT'] }));
    await h.openPosition({ side: side === 'long' ? 'short' : 'long', price: candles[index - 1]!.close, slPct: 0.02, tpPct: 0.03 });
    await h.openPosition({ symbol: 'BTC2USDT' });
    // The tick has evaluated BTCUSDT and is closing BTC2USDT (slow store) when the candle closes.
    h.trader.requestExit('BTC2USDT', 'manual');
    const slowStore = h.holdNextPersist();
    const tick = h.tick();
    await slowStore.reached;
    await h.trader.onCandles([closed('BTCUSDT', candles[index]!)]);
    slowStore.release();
    await tick;
    expect(h.trader.managedPositions().find((p) => p.symbol === 'BTCUSDT')!.exitReason).toBeNull();

    await h.tick();
    expect(h.trader.managedPositions().find((p) => p.symbol === 'BTCUSDT')!.exitReason).toBe('signal');
  });
});

describe('Persist before acting', () => {
  it('stores the close intent before the order is sent, and the result after', async () => {
    const h = new TraderHarness();
    await h.openPosition();
    h.trader.requestExit('BTCUSDT', 'manual');
    const from = h.journal.length;
    await h.tick();
    const steps = h.journal.slice(from).filter((e) => e.what === 'persist' || e.what === 'exchange.placeOrder');
    const closeId = steps.find((e) => e.what === 'exchange.placeOrder')!.detail!;
    expect(steps.map((e) => `${e.what}:${e.detail}`)).toEqual([
      `persist:close intent ${closeId}`,
      `exchange.placeOrder:${closeId}`,
      `persist:close sent ${closeId}`,
    ]);
    const intent = h.persisted.find((p) => p.reason === `close intent ${closeId}`)!;
    expect(intent.pending).toEqual([
      expect.objectContaining({
        purpose: 'close',
        stage: 'intent',
        request: expect.objectContaining({ clientOrderId: closeId, side: 'sell', quantity: 0.01 }),
      }),
    ]);
    expect(intent.positions[0]!.exitClientOrderId).toBe(closeId);
  });

  it('stores an entry intent (client order id, side, size) before the entry is sent', async () => {
    const { index, side } = firstSignal();
    const h = atSignal(index);
    h.price('BTCUSDT', candles[index]!.close);
    await h.trader.onCandles([closed('BTCUSDT', candles[index]!)]);

    const sent = h.exchange.calls('placeOrder');
    expect(sent).toHaveLength(1);
    const entryId = clientOrderId('entry', 'BTCUSDT', candles[index]!.timestamp + CANDLE_MS);
    expect(sent[0]!.detail).toBe(entryId);
    expect(sent[0]!.priority).toBe(1);
    const order = h.journal.map((e) => `${e.what}:${e.detail ?? ''}`);
    const intentAt = order.indexOf(`persist:entry intent ${entryId}`);
    const sentAt = order.indexOf(`exchange.placeOrder:${entryId}`);
    expect(intentAt).toBeGreaterThanOrEqual(0);
    expect(intentAt).toBeLessThan(sentAt);
    expect(order.indexOf(`persist:entry sent ${entryId}`)).toBeGreaterThan(sentAt);
    const intent = h.persisted.find((p) => p.reason === `entry intent ${entryId}`)!.pending[0]!;
    expect(intent.stage).toBe('intent');
    expect(intent.request.side).toBe(side === 'long' ? 'buy' : 'sell');
    expect(intent.request.quantity).toBeGreaterThan(0);
    expect(intent.draft?.side).toBe(side);
  });

  it('never settles an entry whose send is in flight, so a filled entry is not opened twice', async () => {
    const { index } = firstSignal();
    const h = atSignal(index);
    const price = candles[index]!.close;
    h.price('BTCUSDT', price);
    // The venue takes the entry at once but its answer is slow; the entry fills meanwhile.
    const slowAnswer = h.exchange.holdNext('placeOrder', { after: true });
    const entry = h.trader.onCandles([closed('BTCUSDT', candles[index]!)]);
    await slowAnswer.reached;
    h.price('BTCUSDT', price);
    await h.tick();
    slowAnswer.release();
    await entry;
    await h.tick();
    await h.tick();

    expect(h.events.filter((e) => e.kind === 'entry')).toHaveLength(1);
    const [position] = h.trader.managedPositions();
    expect(position!.exitClientOrderId).toBeNull();
    const stops = (await h.paper.fetchOpenOrders('BTCUSDT')).filter((o) => o.type === 'stop_market');
    expect(stops).toHaveLength(1);
    expect(h.exchange.calls('placeOrder').filter((c) => c.detail?.startsWith('slt_c_'))).toHaveLength(0);
  });
});

describe('Orders of unknown outcome', () => {
  it('sends a close again when the first one never reached the exchange', async () => {
    const h = new TraderHarness({ trader: { entryTimeoutMs: 30_000 } });
    await h.openPosition();
    h.trader.requestExit('BTCUSDT', 'emergency');
    h.exchange.failNext('placeOrder', new OrderUncertainError('timeout', 'x'));
    await h.tick();
    expect(h.trader.managedPositions()[0]!.exitClientOrderId).not.toBeNull();

    // Not on the exchange after the grace period: forgotten and the exit requested again.
    h.clock.advance(31_000);
    await h.tick();
    const closes = h.exchange.calls('placeOrder').filter((c) => c.detail?.startsWith('slt_c_'));
    expect(closes).toHaveLength(2);
    h.price('BTCUSDT', 100_000);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['emergency']);
  });

  it('sends a refused close again at the next tick, keeping its reason', async () => {
    const h = new TraderHarness();
    await h.openPosition();
    h.trader.requestExit('BTCUSDT', 'manual');
    h.exchange.failNext('placeOrder', new RetryableExchangeError('503 Service Unavailable'));
    await h.tick();
    expect(h.trader.managedPositions()[0]!.exitClientOrderId).toBeNull();
    h.clock.advance(2_000);
    await h.tick();
    expect(h.exchange.calls('placeOrder').filter((c) => c.detail?.startsWith('slt_c_'))).toHaveLength(2);
    h.price('BTCUSDT', 100_000);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['manual']);
  });

  it('sends a close again when it expired with the position still open', async () => {
    const h = new TraderHarness();
    await h.openPosition();
    h.trader.requestExit('BTCUSDT', 'manual');
    await h.tick();
    const closeId = h.trader.managedPositions()[0]!.exitClientOrderId!;
    h.paper.cancelOrderNow('BTCUSDT', closeId);
    h.clock.advance(2_000);
    await h.tick();
    h.clock.advance(2_000);
    await h.tick();
    expect(h.exchange.calls('placeOrder').filter((c) => c.detail?.startsWith('slt_c_'))).toHaveLength(2);
    h.price('BTCUSDT', 100_000);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['manual']);
  });
});

describe('Start-up reconciliation', () => {
  it('resumes a managed position with its SL and TP and sends nothing', async () => {
    const h = new TraderHarness();
    const before = await h.openPosition();
    const snapshot = h.snapshot();
    const sentBefore = h.exchange.count('placeOrder');
    const trader = h.restart(snapshot);
    const summary = await trader.reconcile();
    expect(trader.managedPositions()).toEqual([before]);
    expect(h.exchange.count('placeOrder')).toBe(sentBefore);
    expect(summary).toContain('1 position(s) resumed with their SL/TP (BTCUSDT)');
    expect(summary).toContain('0 closed while the bot was down');
    expect(h.logged('Reconciled with the exchange', 'info')).toHaveLength(1);
  });

  it('re-places a stop that is missing on the exchange', async () => {
    const h = new TraderHarness();
    const before = await h.openPosition();
    h.paper.cancelOrderNow('BTCUSDT', before.slClientOrderId!);
    const trader = h.restart(h.snapshot());
    h.clock.advance(5_000);
    await trader.reconcile();
    const stops = (await h.paper.fetchOpenOrders('BTCUSDT')).filter((o) => o.type === 'stop_market');
    expect(stops).toHaveLength(1);
    expect(stops[0]!.stopPrice).toBe(before.slPrice);
    expect(trader.managedPositions()[0]!.slClientOrderId).toBe(stops[0]!.clientOrderId);
  });

  it('closes a restored position whose stop is missing and can no longer be placed (price already through it)', async () => {
    const h = new TraderHarness();
    const before = await h.openPosition();
    h.paper.cancelOrderNow('BTCUSDT', before.slClientOrderId!);
    h.paper.cancelOrderNow('BTCUSDT', before.tpClientOrderId!);
    h.clock.advance(60_000);
    // While the bot was down the price fell through the stop level; nothing protected it.
    const through = before.slPrice * 0.995;
    h.price('BTCUSDT', through);
    const trader = h.restart(h.snapshot());
    await trader.reconcile();
    expect(h.logged('could not be re-placed', 'warn')).toHaveLength(1);
    await h.tick(); // close sent on priority 0
    h.clock.advance(2_000);
    h.price('BTCUSDT', through);
    await h.tick(); // filled: recorded
    const [trade] = h.trades();
    expect(trade).toMatchObject({ symbol: 'BTCUSDT', exitReason: 'sl', liquidated: false });
    expect(trade!.exitPrice).toBeLessThan(before.slPrice);
    expect(trader.managedPositions()).toHaveLength(0);
  });

  it('adopts an unknown position on a configured symbol with a protective stop when set to adopt', async () => {
    const h = new TraderHarness({ trader: { unknownPositions: 'adopt', adoptedBaseSlRate: 0.01 } });
    h.price('BTCUSDT', 100_000);
    h.paper.placeOrderNow({
      symbol: 'BTCUSDT',
      side: 'buy',
      type: 'market',
      quantity: 0.02,
      reduceOnly: false,
      clientOrderId: 'by-hand-1',
    });
    h.price('BTCUSDT', 100_000);
    const summary = await h.trader.reconcile();
    const [adopted] = h.trader.managedPositions();
    expect(adopted).toMatchObject({ symbol: 'BTCUSDT', side: 'long', size: 0.02, adopted: true, slPrice: 99_000 });
    const orders = await h.paper.fetchOpenOrders('BTCUSDT');
    expect(orders.filter((o) => o.type === 'stop_market')).toEqual([
      expect.objectContaining({ type: 'stop_market', side: 'sell', stopPrice: 99_000, reduceOnly: true, quantity: 0.02 }),
    ]);
    // And its take-profit (issue 9): a reduce-only limit at its TP price.
    expect(orders.filter((o) => o.type === 'limit')).toEqual([
      expect.objectContaining({ side: 'sell', price: adopted!.tpPrice, reduceOnly: true, clientOrderId: adopted!.tpClientOrderId }),
    ]);
    expect(summary).toContain('1 unknown position(s) adopted with a protective stop (BTCUSDT)');
  });

  it('protects an adopted position that is already beyond the base stop from its mark', async () => {
    const h = new TraderHarness({ trader: { unknownPositions: 'adopt', adoptedBaseSlRate: 0.01 } });
    h.price('BTCUSDT', 100_000);
    h.paper.placeOrderNow({
      symbol: 'BTCUSDT',
      side: 'buy',
      type: 'market',
      quantity: 0.02,
      reduceOnly: false,
      clientOrderId: 'by-hand-2',
    });
    h.price('BTCUSDT', 100_000);
    h.clock.advance(60_000);
    h.price('BTCUSDT', 98_000);
    await h.trader.reconcile();
    const stops = (await h.paper.fetchOpenOrders('BTCUSDT')).filter((o) => o.type === 'stop_market');
    expect(stops).toEqual([expect.objectContaining({ type: 'stop_market', stopPrice: 97_020 })]);
    expect(h.trader.managedPositions()[0]!.slClientOrderId).toBe(stops[0]!.clientOrderId);
  });

  it('only reports an unknown position when set to report', async () => {
    const h = new TraderHarness({ trader: { unknownPositions: 'report' } });
    h.price('BTCUSDT', 100_000);
    h.paper.placeOrderNow({
      symbol: 'BTCUSDT',
      side: 'sell',
      type: 'market',
      quantity: 0.02,
      reduceOnly: false,
      clientOrderId: 'by-hand-3',
    });
    h.price('BTCUSDT', 100_000);
    const summary = await h.trader.reconcile();
    expect(h.trader.managedPositions()).toHaveLength(0);
    expect(h.exchange.count('placeOrder')).toBe(0);
    expect(summary).toContain('1 left alone and reported (BTCUSDT)');
  });

  it('reports a position on a symbol it is not configured for and does not touch it, even when adopting', async () => {
    const h = new TraderHarness({ trader: { unknownPositions: 'adopt' } });
    h.price('ETHUSDT', 4_000);
    h.paper.placeOrderNow({ symbol: 'ETHUSDT', side: 'buy', type: 'market', quantity: 0.5, reduceOnly: false, clientOrderId: 'by-hand-4' });
    h.price('ETHUSDT', 4_000);
    const summary = await h.trader.reconcile();
    expect(h.trader.managedPositions()).toHaveLength(0);
    expect(h.exchange.count('placeOrder')).toBe(0);
    expect(await h.paper.fetchOpenOrders('ETHUSDT')).toHaveLength(0);
    expect(summary).toContain('0 unknown position(s) adopted');
    expect(summary).toContain('1 left alone and reported (ETHUSDT)');
  });

  it('turns an entry intent whose order filled into a managed position, and drops one the exchange never saw', async () => {
    const h = new TraderHarness();
    // The crash came right after the entry was sent: the store has only the intent.
    const filled = { ...(await h.fillEntryOnVenue({ side: 'long', price: 100_000 })), stage: 'intent' as const };
    const neverSentId = clientOrderId('entry', 'BTCUSDT', h.clock.now() - 300_000);
    const neverSent = { ...filled, request: { ...filled.request, clientOrderId: neverSentId } };
    const trader = h.restart({ ...h.snapshot(), pendingOrders: [filled, neverSent] });
    h.clock.advance(10_000);
    const summary = await trader.reconcile();

    expect(trader.managedPositions()).toEqual([
      expect.objectContaining({
        symbol: 'BTCUSDT',
        side: 'long',
        entryPrice: 100_000,
        size: 0.01,
        slPrice: 99_000,
        tpPrice: 101_500,
        entryClientOrderId: filled.request.clientOrderId,
      }),
    ]);
    expect(trader.pendingOrders()).toHaveLength(0);
    const sent = h.exchange.calls('placeOrder').map((c) => c.detail);
    expect(sent).not.toContain(neverSentId);
    expect(sent).not.toContain(filled.request.clientOrderId);
    expect((await h.paper.fetchOpenOrders('BTCUSDT')).map((o) => o.type).sort()).toEqual(['limit', 'stop_market']);
    expect(summary).toContain('1 position(s) resumed');
    expect(summary).toContain('2 pending order(s) settled by client order id, 0 still pending');
  });

  it('records a position whose stop filled while the bot was down once, as sl', async () => {
    const h = new TraderHarness();
    await h.openPosition();
    const snapshot = h.snapshot();
    h.clock.advance(600_000);
    h.price('BTCUSDT', 98_500);
    const trader = h.restart(snapshot);
    const summary = await trader.reconcile();
    await h.tick();
    await trader.reconcile();
    expect(h.recordedTrades).toHaveLength(1);
    expect(h.trades()[0]).toMatchObject({ exitReason: 'sl', exitPrice: 98_500, liquidated: false });
    expect(summary).toContain('1 closed while the bot was down and recorded (BTCUSDT)');
  });

  it('records a position liquidated while the bot was down as a liquidation and a 100 % loss', async () => {
    const h = new TraderHarness();
    const opened = await h.openPosition({ leverage: 20 });
    const snapshot = h.snapshot();
    h.clock.advance(600_000);
    // A mark wick through the liquidation price; the trade price stays above the stop.
    h.price('BTCUSDT', 99_500, opened.liquidationPrice - 50);
    expect(await h.paper.fetchPositions(1)).toHaveLength(0);
    const trader = h.restart(snapshot);
    const summary = await trader.reconcile();
    expect(h.recordedTrades).toHaveLength(1);
    const [trade] = h.trades();
    expect(trade).toMatchObject({ exitReason: 'liquidation', liquidated: true, is100PctLoss: true });
    expect(trade!.exitPrice).toBeCloseTo(opened.liquidationPrice, 6);
    expect(trade!.pnlUsdt).toBeLessThanOrEqual(-trade!.marginUsdt);
    expect(summary).toContain('1 closed while the bot was down');
  });

  it('sends again a close whose intent was stored but never sent before a crash', async () => {
    const h = new TraderHarness();
    await h.openPosition();
    h.trader.requestExit('BTCUSDT', 'emergency');
    const crash = h.holdNextPersist();
    void h.tick();
    await crash.reached;
    // The process dies here: the close intent is stored, the order was never sent.
    const stored = h.persisted.at(-1)!;
    const state = { ...h.snapshot(), positions: stored.positions, pendingOrders: stored.pending };
    const trader = h.restart(state);
    await trader.reconcile();
    expect(trader.managedPositions()[0]!.exitClientOrderId).toBeNull();
    await h.tick();
    h.price('BTCUSDT', 100_000);
    await h.tick();
    expect(h.trades().map((t) => t.exitReason)).toEqual(['emergency']);
    crash.release();
  });
});

describe('Pause', () => {
  it('makes no entry on a signal while paused, but still manages and closes open positions', async () => {
    const { index } = firstSignal();
    const h = atSignal(index, new TraderHarness({ symbols: ['BTCUSDT', 'BTC2USDT', 'BTC3USDT'], clonesOfBtc: ['BTC2USDT', 'BTC3USDT'] }));
    await h.openPosition({ symbol: 'BTC2USDT' });
    await h.openPosition({ symbol: 'BTC3USDT' });
    h.price('BTCUSDT', candles[index]!.close);
    h.trader.setPaused(true);
    const sentBefore = h.exchange.count('placeOrder');
    await h.trader.onCandles([closed('BTCUSDT', candles[index]!)]);
    await h.tick();
    expect(h.exchange.count('placeOrder')).toBe(sentBefore);
    expect(h.trader.hasPendingEntries()).toBe(false);

    // The stop of one position still fills and is recorded; the other closes on request.
    h.clock.advance(60_000);
    h.price('BTC2USDT', 98_000);
    await h.tick();
    expect(h.trades().map((t) => [t.symbol, t.exitReason])).toEqual([['BTC2USDT', 'sl']]);
    expect(h.trader.requestExit('BTC3USDT', 'manual')).toBe(true);
    await h.tick();
    h.price('BTC3USDT', 100_200);
    await h.tick();
    expect(h.trades().map((t) => [t.symbol, t.exitReason])).toEqual([
      ['BTC2USDT', 'sl'],
      ['BTC3USDT', 'manual'],
    ]);
    expect(h.trader.engineState().paused).toBe(true);
  });

  it('refuses a signal while paused with the reason, and enters on it once resumed', async () => {
    const { index } = firstSignal();
    const paused = atSignal(index);
    paused.price('BTCUSDT', candles[index]!.close);
    paused.trader.setPaused(true);
    await paused.trader.onCandles([closed('BTCUSDT', candles[index]!)]);
    expect(paused.exchange.count('placeOrder')).toBe(0);
    const refused = paused.events.find((e) => e.kind === 'refused');
    expect(refused).toMatchObject({ kind: 'refused', symbol: 'BTCUSDT', reasons: expect.arrayContaining(['trading is paused']) });

    const running = atSignal(index);
    running.price('BTCUSDT', candles[index]!.close);
    await running.trader.onCandles([closed('BTCUSDT', candles[index]!)]);
    expect(running.exchange.count('placeOrder')).toBe(1);
  });
});

describe('Account reads', () => {
  it('reads the balance at most once per refresh period for refused signals, and fresh just before each entry', async () => {
    const { index } = firstSignal();
    // Two symbols with the same candles give two signals at one close.
    const both = (): ClosedCandle[] => [closed('BTCUSDT', candles[index]!), closed('BTC2USDT', candles[index]!)];
    const setUp = (): TraderHarness => {
      const h = new TraderHarness({ symbols: ['BTCUSDT', 'BTC2USDT'], clonesOfBtc: ['BTC2USDT'] });
      for (const symbol of ['BTCUSDT', 'BTC2USDT']) h.trader.warmUp(symbol, candles.slice(0, index));
      h.clock.set(candles[index]!.timestamp + CANDLE_MS);
      for (const symbol of ['BTCUSDT', 'BTC2USDT']) h.price(symbol, candles[index]!.close);
      return h;
    };
    const paused = setUp();
    paused.trader.setPaused(true);
    await paused.trader.onCandles(both());
    expect(paused.events.filter((e) => e.kind === 'refused')).toHaveLength(2);
    expect(paused.exchange.count('fetchBalance')).toBe(1);

    const trading = setUp();
    await trading.trader.onCandles(both());
    const entries = trading.exchange.calls('placeOrder');
    expect(entries).toHaveLength(2);
    const balanceReads = trading.exchange.calls('fetchBalance');
    expect(balanceReads).toHaveLength(2);
    // Each entry is preceded by its own balance read.
    const order = trading.journal.filter((e) => e.what === 'exchange.fetchBalance' || e.what === 'exchange.placeOrder').map((e) => e.what);
    expect(order).toEqual(['exchange.fetchBalance', 'exchange.placeOrder', 'exchange.fetchBalance', 'exchange.placeOrder']);
  });

  it('does not read the balance from the control ticks', async () => {
    const h = new TraderHarness();
    await h.openPosition();
    for (let i = 0; i < 30; i++) {
      h.clock.advance(2_000);
      await h.tick();
    }
    expect(h.exchange.count('fetchBalance')).toBe(0);
  });
});

describe('Exploration', () => {
  async function replayDecisions(seed: number): Promise<{ decisions: string[]; seen: number; taken: number }> {
    const h = new TraderHarness({
      trader: { explorationRate: 0.5, explorationSeed: seed },
      pipeline: { minConfidence: 0.99 },
      startMs: candles[0]!.timestamp,
    });
    const clock = h.clock;
    const lastCandleAt: Record<string, number> = {};
    for (const candle of candles) {
      await replayStep({ clock, venue: h.paper, trader: h.trader, controller: h.controller, candleMs: CANDLE_MS, lastCandleAt }, [
        closed('BTCUSDT', candle),
      ]);
    }
    const decisions = h.events
      .filter((e) => e.kind === 'entry' || e.kind === 'refused')
      .map((e) =>
        e.kind === 'entry'
          ? `entry ${e.position.side} ${e.position.openedAt} x${e.position.leverage} ${e.position.exploration}`
          : `refused ${e.side}`,
      );
    const state = h.trader.engineState();
    return { decisions, seen: state.explorationSeen, taken: state.explorationTaken };
  }

  it('takes the same exploration decisions with the same seed', async () => {
    const first = await replayDecisions(7);
    const again = await replayDecisions(7);
    expect(again).toEqual(first);
    expect(first.seen).toBeGreaterThan(5);
    expect(first.taken).toBeGreaterThan(0);
    expect(first.taken).toBeLessThan(first.seen);
    expect(first.decisions.filter((d) => d.startsWith('entry')).every((d) => d.endsWith('x1 true'))).toBe(true);
  });
});
