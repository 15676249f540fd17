/**
 * The engine state gates entries (issue 9, "Error reactions drive an engine state"):
 * insufficient funds → reducing (no new entries; exits and protection go on); a revoked key →
 * halted (nothing but what protects positions, no request storm). The Trader on the Binance
 * adapter (real ccxt) against the fake Binance, entries from real signals of the bundled candles.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../../src/engine/types.js';
import { CANDLE_MS, loadBtcCandles, signalsIn } from '../engine/helpers/trader-harness.js';
import { LiveRig } from './live-rig.js';

let candles: Candle[];
let signals: number[];
beforeAll(async () => {
  candles = await loadBtcCandles(3000);
  signals = signalsIn(candles).map((s) => s.index);
  if (signals.length < 2) throw new Error('fewer than two signals in the bundled candles');
});

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

/** Feeds the candles from `from` up to and including `to` (clock at each close, the fake's price at each close). */
async function feed(r: LiveRig, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    const candle = candles[i]!;
    r.clock.set(Math.max(r.clock.now(), candle.timestamp + CANDLE_MS));
    r.fake.setPrice('BTCUSDT', candle.close);
    await r.trader.onCandles([{ symbol: 'BTCUSDT', candle, mark: null }]);
  }
}

async function rigAtFirstSignal(): Promise<LiveRig> {
  // Reducing lasts a week here (15 min by default, then entries are tried again): the next signal is within it.
  const r = await LiveRig.start({ symbols: ['BTCUSDT', 'ETHUSDT'], reducingForMs: 7 * 24 * 3_600_000, trader: { timeStopMs: 0 } });
  r.trader.warmUp('BTCUSDT', candles.slice(0, signals[0]));
  return r;
}

const refusedCodes = (r: LiveRig): string[] => r.events.flatMap((e) => (e.kind === 'refused' ? e.codes : []));
const ENTRY_ROUTES = ['POST /fapi/v1/order', 'POST /fapi/v1/leverage', 'GET /fapi/v3/account', 'GET /fapi/v2/balance'];

describe('the engine state gates new entries', () => {
  it('insufficient funds → reducing: the next signal sends nothing, while exits and protection go on', async () => {
    rig = await rigAtFirstSignal();
    const r = rig;
    // An ETH position with its stop (adopted), to show that protection goes on.
    r.fake.state.positions.set('ETHUSDT', { symbol: 'ETHUSDT', amount: 0.1, entryPrice: 3_000, updateTime: 0 });
    await r.trader.reconcile();
    r.fake.inject('POST /fapi/v1/order', { kind: 'binance_error', code: -2019, msg: 'Margin is insufficient.' }, 1);
    await feed(r, signals[0]!, signals[0]!);
    expect(r.tradingState.status().state).toBe('reducing');
    expect(r.trader.managedPositions().map((p) => p.symbol)).toEqual(['ETHUSDT']);
    expect(r.notices.filter((n) => n.key === 'engine_state' && n.severity === 'warning')).toHaveLength(1);

    const from = r.fake.requests.length;
    await feed(r, signals[0]! + 1, signals[1]!);
    const sent = r.fake.requests.slice(from).map((q) => `${q.method} ${q.path}`);
    expect(sent.filter((s) => ENTRY_ROUTES.includes(s))).toEqual([]);
    expect(refusedCodes(r)).toContain('engine_reducing');
    // Protection goes on: a cancelled ETH stop is put back.
    for (const a of r.fake.state.algoOrders) if (a.symbol === 'ETHUSDT') a.algoStatus = 'CANCELED';
    await r.tick();
    expect(r.fake.state.algoOrders.filter((a) => a.symbol === 'ETHUSDT' && a.algoStatus === 'NEW')).toHaveLength(1);
    // Exits go on: a manual close goes out.
    r.trader.requestExit('ETHUSDT', 'manual');
    await r.tick();
    expect(r.fake.state.positions.has('ETHUSDT')).toBe(false);
  });

  it('a revoked key on an entry → halted: later signals send nothing, and the position loop reads rarely', async () => {
    rig = await rigAtFirstSignal();
    const r = rig;
    r.fake.inject('POST /fapi/v1/leverage', { kind: 'binance_error', code: -2015, status: 401 }, 1_000);
    r.fake.inject('GET /fapi/v3/positionRisk', { kind: 'binance_error', code: -2015, status: 401 }, 1_000);
    await feed(r, signals[0]!, signals[0]!);
    expect(r.tradingState.status().state).toBe('halted');
    expect(r.notices.filter((n) => n.key === 'engine_state' && n.severity === 'critical')).toHaveLength(1);

    const from = r.fake.requests.length;
    await feed(r, signals[0]! + 1, signals[1]!);
    expect(r.fake.requests.length - from).toBe(0);
    expect(refusedCodes(r)).toContain('engine_halted');
    // One minute of position-loop ticks: at most a couple of reads, not 30.
    for (let i = 0; i < 30; i++) await r.tick();
    expect(r.requests('GET /fapi/v3/positionRisk', from).length).toBeLessThanOrEqual(2);
  });
});
