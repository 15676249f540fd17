/**
 * Safety figures against the fake Binance (real ccxt):
 *
 * - `stop_after_fill_ms`: from the moment the entry order's fill is known to the bot (the
 *   adapter's placeOrder resolved with a filled order) to the stop request reaching the fake
 *   Binance, p99 over the entries of the bundled BTCUSDT candles (real rule signals).
 * - `protection_check_weight_per_min`: the request weight that the per-tick protection
 *   checks (stop and take-profit, one open-orders read of each kind per position) add for 5
 *   open positions, and `controller_weight_per_min` the controller's total (positions read
 *   included), per minute at the default 2 s tick. Binance allows 2400 weight a minute; the
 *   total must stay under half of it.
 *
 * The fake lists two symbols, so two adopted positions are checked for 30 ticks and the
 * measured weight per position and tick (open orders + open algo orders of its symbol, weight
 * 1 each) is multiplied by 5 positions; the positions read (weight 5) is once per tick
 * whatever the number of positions.
 */
import { performance } from 'node:perf_hooks';
import { bundledDataDir, loadMarketHistory } from '../src/adapters/data/index.js';
import { initialEngineState } from '../src/engine/trader.js';
import { CANDLE_MS, type OrderRequest, type OrderState } from '../src/engine/types.js';
import type { Priority } from '../src/engine/ports.js';
import type { RecordedRequest } from '../tests/fakes/fake-binance.js';
import { LiveRig } from '../tests/safety/live-rig.js';
import { type Emit, percentile } from './figure.js';

const TICKS = 30;
const POSITIONS = 5;
const TICKS_PER_MIN = 60_000 / 2_000;
const POSITIONS_READ_WEIGHT = 5;
/** Candles replayed for entries (about a month of 5-minute candles). */
const ENTRY_CANDLES = 8_000;

export async function run(emit: Emit): Promise<void> {
  await protectionWeight(emit);
  await stopAfterFill(emit);
}

async function protectionWeight(emit: Emit): Promise<void> {
  const rig = await LiveRig.start({ symbols: ['BTCUSDT', 'ETHUSDT'] });
  try {
    rig.fake.state.positions.set('BTCUSDT', { symbol: 'BTCUSDT', amount: 0.01, entryPrice: 60_000, updateTime: 0 });
    rig.fake.state.positions.set('ETHUSDT', { symbol: 'ETHUSDT', amount: 0.1, entryPrice: 3_000, updateTime: 0 });
    await rig.trader.reconcile();
    const from = rig.fake.requests.length;
    for (let i = 0; i < TICKS; i++) await rig.tick();
    const checks = rig.fake.requests
      .slice(from)
      .filter((r) => (r.path === '/fapi/v1/openOrders' || r.path === '/fapi/v1/openAlgoOrders') && r.query['symbol'] !== undefined).length;
    const perPositionTick = checks / (TICKS * 2);
    const protection = perPositionTick * POSITIONS * TICKS_PER_MIN;
    emit({
      name: 'protection_check_weight_per_min',
      value: protection,
      unit: 'weight',
      note: 'per minute, 5 positions, 2 s tick, stop and take-profit',
    });
    emit({
      name: 'controller_weight_per_min',
      value: protection + POSITIONS_READ_WEIGHT * TICKS_PER_MIN,
      unit: 'weight',
      note: 'per minute of the 2400 allowed, positions read included, 5 positions, 2 s tick',
    });
  } finally {
    await rig.close();
  }
}

async function stopAfterFill(emit: Emit): Promise<void> {
  const from = Date.UTC(2025, 7, 1);
  const history = await loadMarketHistory(bundledDataDir(), ['BTCUSDT'], { from, to: from + (ENTRY_CANDLES - 1) * CANDLE_MS });
  const candles = history.get('BTCUSDT')?.candles ?? [];
  const rig = await LiveRig.start();
  const samples: number[] = [];
  try {
    let fillSeenAt: number | null = null;
    const placeOrder = rig.exchange.placeOrder.bind(rig.exchange);
    rig.exchange.placeOrder = async (request: OrderRequest, priority: Priority): Promise<OrderState> => {
      const order = await placeOrder(request, priority);
      if (request.clientOrderId.startsWith('slt_e_') && order.status === 'filled') fillSeenAt = performance.now();
      return order;
    };
    // The stop request as the fake receives it.
    const requests = rig.fake.requests;
    const push = requests.push.bind(requests);
    requests.push = (...items: RecordedRequest[]): number => {
      for (const r of items)
        if (r.method === 'POST' && r.path === '/fapi/v1/algoOrder' && fillSeenAt !== null) {
          samples.push(performance.now() - fillSeenAt);
          fillSeenAt = null;
        }
      return push(...items);
    };
    rig.clock.set(Math.max(rig.clock.now(), (candles[0]?.timestamp ?? 0) + CANDLE_MS));
    for (const candle of candles) {
      rig.clock.set(Math.max(rig.clock.now(), candle.timestamp + CANDLE_MS));
      rig.fake.setPrice('BTCUSDT', candle.close);
      await rig.trader.onCandles([{ symbol: 'BTCUSDT', candle, mark: null }]);
      if (rig.trader.managedPositions().length > 0 || rig.trader.pendingOrders().length > 0) resetAfterEntry(rig);
    }
  } finally {
    await rig.close();
  }
  const sorted = samples.sort((a, b) => a - b);
  const note = `entry fill known → stop request at the fake Binance, ${sorted.length} entries (real ccxt, loopback)`;
  emit({ name: 'stop_after_fill_ms', value: round3(percentile(sorted, 99)), unit: 'ms', note: `p99, ${note}` });
  emit({ name: 'stop_after_fill_p50_ms', value: round3(percentile(sorted, 50)), unit: 'ms', note: `p50, ${note}` });
}

/** Forgets the position (on the fake and in the Trader) so the next signal is an entry again. */
function resetAfterEntry(rig: LiveRig): void {
  rig.fake.state.positions.clear();
  for (const a of rig.fake.state.algoOrders) if (a.algoStatus === 'NEW') a.algoStatus = 'CANCELED';
  for (const o of rig.fake.state.orders) if (o.status === 'NEW') o.status = 'CANCELED';
  const state = rig.trader.exportState();
  rig.trader.restoreState({
    ...state,
    state: { ...initialEngineState('rules'), closedTradeCount: state.state.closedTradeCount },
    positions: [],
    pendingOrders: [],
  });
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
