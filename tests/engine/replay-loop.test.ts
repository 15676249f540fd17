/**
 * The replay step keeps live trading's order at a candle close: fills inside candle t, then
 * the controller records them, then the decision at t's close (BLUEPRINT "Loops and lanes").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClosedCandle } from '../../src/engine/ports.js';
import { replayStep } from '../../src/engine/replay-loop.js';
import type { Candle } from '../../src/engine/types.js';
import { CANDLE_MS, TraderHarness, loadBtcCandles, signalsIn } from './helpers/trader-harness.js';

const closed = (candle: Candle): ClosedCandle => ({ symbol: 'BTCUSDT', candle, mark: null });

let candles: Candle[];
beforeAll(async () => {
  candles = await loadBtcCandles(3000);
});

describe('replay step at a candle close', () => {
  it('takes a signal at the close of the candle in which a position stopped out', async () => {
    // A signal candle whose path first goes against the signal's side far enough for a stop
    // placed 0.05 % from the open to fill inside it.
    const found = signalsIn(candles).find(({ index, signal }) => {
      const c = candles[index]!;
      return signal.side === 'long' ? (c.open - c.low) / c.open > 0.001 : (c.high - c.open) / c.open > 0.001;
    });
    expect(found).toBeDefined();
    const { index, signal } = found!;
    const candle = candles[index]!;

    // Gates wide open so the signal would be taken whenever the symbol is free.
    const h = new TraderHarness({
      startMs: candle.timestamp,
      trader: { explorationRate: 0 },
      pipeline: { minWinProbability: 0, minConfidence: 0, minRrRatio: 0 },
    });
    h.trader.warmUp('BTCUSDT', candles.slice(0, index));
    // A position on the same side, opened at this candle's open, stop 0.05 % away, target far.
    await h.openPosition({ side: signal.side, price: candle.open, slPct: 0.0005, tpPct: 0.5, size: 0.01, leverage: 2 });
    expect(h.trader.managedPositions()).toHaveLength(1);

    await replayStep(
      { clock: h.clock, venue: h.paper, trader: h.trader, controller: h.controller, candleMs: CANDLE_MS, lastCandleAt: {} },
      [closed(candle)],
    );

    // The stop-out inside the candle is recorded…
    const trades = h.trades();
    expect(trades).toHaveLength(1);
    expect(trades[0]!.exitReason).toBe('sl');
    expect(trades[0]!.closedAt).toBeLessThan(candle.timestamp + CANDLE_MS);
    // …before the decision at the close, which takes the signal: a new entry decided at the close.
    const entries = h.events.filter((e) => e.kind === 'entry' || e.kind === 'refused');
    const pendingEntry = h.trader.pendingOrders().find((o) => o.purpose === 'entry');
    expect(entries.filter((e) => e.kind === 'refused')).toEqual([]);
    expect(pendingEntry?.request.symbol).toBe('BTCUSDT');
    expect(pendingEntry?.createdAt).toBe(candle.timestamp + CANDLE_MS);
    expect(pendingEntry?.draft?.side).toBe(signal.side);
  });
});
