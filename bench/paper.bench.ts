/**
 * Paper exchange throughput: the bundled 92 days × 3 symbols fed candle by candle, with a
 * position and its SL/TP on the book most of the time (a new one opened whenever flat),
 * so every candle walks a real intrabar path. Also the size and time of one toJSON.
 */
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/adapters/clock.js';
import { bundledDataDir, loadExchangeRules, loadMarketHistory } from '../src/adapters/data/index.js';
import { PaperExchange } from '../src/adapters/paper/index.js';
import { roundPrice, roundQty } from '../src/engine/exchange-rules.js';
import type { ClosedCandle } from '../src/engine/ports.js';
import { CANDLE_MS, type FundingEvent, type MarkCandle } from '../src/engine/types.js';
import { silentLogger } from '../src/logger.js';
import type { Emit } from './figure.js';
import { percentile, rssMb } from './figure.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

export async function run(emit: Emit): Promise<void> {
  const dataDir = bundledDataDir();
  const rules = loadExchangeRules(dataDir, SYMBOLS);
  const history = await loadMarketHistory(dataDir, SYMBOLS);
  const funding = new Map<string, readonly FundingEvent[]>();
  const marksByHour = new Map<string, Map<number, MarkCandle>>();
  for (const [symbol, h] of history) {
    if (h.funding !== null) funding.set(symbol, h.funding);
    marksByHour.set(symbol, new Map((h.mark ?? []).map((m) => [m.timestamp, m])));
  }
  const length = Math.min(...SYMBOLS.map((s) => history.get(s)!.candles.length));
  const clock = new ManualClock(history.get('BTCUSDT')!.candles[0]!.timestamp);
  const exchange = new PaperExchange({ rules, clock, logger: silentLogger, funding, startingBalanceUsdt: 100_000 });
  for (const symbol of SYMBOLS) await exchange.setLeverage(symbol, 10);

  let orderSeq = 0;
  const batchMs: number[] = [];
  const started = performance.now();
  for (let i = 0; i < length; i++) {
    const batch: ClosedCandle[] = SYMBOLS.map((symbol) => {
      const candle = history.get(symbol)!.candles[i]!;
      const mark = marksByHour.get(symbol)!.get(Math.floor(candle.timestamp / 3_600_000) * 3_600_000) ?? null;
      return { symbol, candle, mark };
    });
    const t0 = performance.now();
    for (const closed of batch) exchange.openCandle(closed);
    // The replay loop's step 2: protect positions that just opened before the path is walked.
    for (const position of await exchange.fetchPositions(1)) {
      if ((await exchange.fetchOpenOrders(position.symbol)).length > 0) continue;
      const tick = rules.get(position.symbol)!.filters.tickSize;
      const long = position.side === 'long';
      const slPrice = roundPrice(position.entryPrice * (long ? 0.99 : 1.01), tick, long ? 'down' : 'up');
      const tpPrice = roundPrice(position.entryPrice * (long ? 1.015 : 0.985), tick, 'nearest');
      const side = long ? 'sell' : 'buy';
      try {
        exchange.placeOrderNow({
          symbol: position.symbol,
          side,
          type: 'stop_market',
          quantity: position.size,
          stopPrice: slPrice,
          reduceOnly: true,
          clientOrderId: `sl-${++orderSeq}`,
        });
        exchange.placeOrderNow({
          symbol: position.symbol,
          side,
          type: 'limit',
          quantity: position.size,
          price: tpPrice,
          reduceOnly: true,
          clientOrderId: `tp-${++orderSeq}`,
        });
      } catch {
        // -2021 after a gap: leave it to the next candle.
      }
    }
    for (const closed of batch) exchange.finishCandle(closed);
    clock.set(batch[0]!.candle.timestamp + CANDLE_MS);
    // Decide at the close: open a position on any flat symbol, alternating sides.
    const open = new Set((await exchange.fetchPositions(1)).map((p) => p.symbol));
    for (const closed of batch) {
      if (open.has(closed.symbol) || (await exchange.fetchOpenOrders(closed.symbol)).length > 0) continue;
      const step = rules.get(closed.symbol)!.filters.stepSize;
      const quantity = roundQty(2000 / closed.candle.close, step, 'down');
      exchange.placeOrderNow({
        symbol: closed.symbol,
        side: i % 2 === 0 ? 'buy' : 'sell',
        type: 'market',
        quantity,
        reduceOnly: false,
        clientOrderId: `e-${++orderSeq}`,
      });
    }
    exchange.drainEvents();
    batchMs.push(performance.now() - t0);
  }
  const elapsedMs = performance.now() - started;
  const candles = length * SYMBOLS.length;
  batchMs.sort((a, b) => a - b);
  emit({
    name: 'paper_replay_candles_per_s',
    value: Math.round(candles / (elapsedMs / 1000)),
    unit: 'candles/s',
    note: `${candles} candles, ${SYMBOLS.length} symbols, SL/TP always on the book`,
  });
  emit({
    name: 'paper_batch_p99_ms',
    value: Number(percentile(batchMs, 99).toFixed(3)),
    unit: 'ms',
    note: 'one close time: open, protect, walk, decide',
  });
  const totals = exchange.totalsSoFar();
  emit({ name: 'paper_fills', value: totals.fills, unit: 'count' });
  emit({ name: 'paper_liquidations', value: totals.liquidations, unit: 'count' });

  const serialiseStart = performance.now();
  const text = JSON.stringify(exchange.toJSON());
  emit({
    name: 'paper_to_json_ms',
    value: Number((performance.now() - serialiseStart).toFixed(3)),
    unit: 'ms',
    note: `${(text.length / 1024).toFixed(0)} KiB with order history`,
  });
  emit({ name: 'paper_rss_mb', value: rssMb(), unit: 'MB' });
}
