/**
 * Safety figures against the fake Binance (real ccxt): the request weight that the per-tick
 * protection checks add for 5 open positions, and the controller's total (positions read
 * included), per minute at the default 2 s tick. Binance allows 2400 weight a minute; the
 * total must stay under half of it.
 *
 * The fake lists two symbols, so two adopted positions are checked for 30 ticks and the
 * measured weight per position and tick (open orders + open algo orders of its symbol, weight
 * 1 each) is multiplied by 5 positions; the positions read (weight 5) is once per tick
 * whatever the number of positions.
 */
import { LiveRig } from '../tests/safety/live-rig.js';
import type { Emit } from './figure.js';

const TICKS = 30;
const POSITIONS = 5;
const TICKS_PER_MIN = 60_000 / 2_000;
const POSITIONS_READ_WEIGHT = 5;

export async function run(emit: Emit): Promise<void> {
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
    emit({ name: 'protection_check_weight_per_min', value: protection, unit: 'weight', note: 'per minute, 5 positions, 2 s tick' });
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
