/**
 * Position-controller tick time with 20 open positions on the paper exchange: one tick is
 * the positions request plus the Trader's evaluation (PositionController.tick()). The 20
 * symbols carry BTCUSDT's rules; prices wander ±0.3 % around the entries between ticks, so
 * no stop, take-profit or liquidation-buffer exit fires and every tick evaluates all 20.
 */
import { performance } from 'node:perf_hooks';
import { TraderHarness } from '../tests/engine/helpers/trader-harness.js';
import type { Emit } from './figure.js';
import { percentile } from './figure.js';

const POSITIONS = 20;
const WARMUP_TICKS = 200;
const MEASURED_TICKS = 2_000;
const INTERVAL_MS = 2_000;
const ENTRY_PRICE = 100_000;

export async function run(emit: Emit): Promise<void> {
  const symbols = Array.from({ length: POSITIONS }, (_, i) => `B${String(i + 1).padStart(2, '0')}USDT`);
  const h = new TraderHarness({
    symbols,
    clonesOfBtc: symbols,
    venueOnlySymbols: [],
    silent: true,
    startingBalanceUsdt: 100_000,
    trader: { timeStopMs: 0 },
    pipeline: { maxOpenPositions: POSITIONS },
    intervalMs: INTERVAL_MS,
  });
  for (const [i, symbol] of symbols.entries()) {
    await h.openPosition({ symbol, side: i % 2 === 0 ? 'long' : 'short', price: ENTRY_PRICE, leverage: 5, slPct: 0.01, tpPct: 0.015 });
  }
  if (h.trader.managedPositions().length !== POSITIONS) throw new Error(`expected ${POSITIONS} open positions`);

  // A deterministic wander inside ±0.3 %: well inside every SL (1 %) and TP (1.5 %).
  let seed = 12345;
  const nextMove = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return ((seed / 2 ** 32) * 2 - 1) * 0.003;
  };
  const tickMs: number[] = [];
  for (let i = 0; i < WARMUP_TICKS + MEASURED_TICKS; i++) {
    h.clock.advance(INTERVAL_MS);
    for (const symbol of symbols) h.price(symbol, Math.round(ENTRY_PRICE * (1 + nextMove()) * 10) / 10);
    const t0 = performance.now();
    await h.controller.tick();
    const took = performance.now() - t0;
    if (i >= WARMUP_TICKS) tickMs.push(took);
  }
  if (h.trader.managedPositions().length !== POSITIONS || h.trades().length > 0 || h.controller.stats().failedTicks > 0) {
    throw new Error('a position closed or a tick failed during the benchmark: the figures would not be of 20 open positions');
  }
  tickMs.sort((a, b) => a - b);
  const note = `${POSITIONS} open positions on the paper exchange, ${MEASURED_TICKS} ticks (fetchPositions + controlTick)`;
  emit({ name: 'controller_tick_p50_ms', value: round3(percentile(tickMs, 50)), unit: 'ms', note });
  emit({ name: 'controller_tick_p99_ms', value: round3(percentile(tickMs, 99)), unit: 'ms', note });
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
