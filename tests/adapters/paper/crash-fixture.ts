/** The bundled crash fixture (2025-10-10/11) as the paper exchange's tests use it. */
import { fileURLToPath } from 'node:url';
import { loadExchangeRules, loadMarketHistory } from '../../../src/adapters/data/index.js';
import type { SymbolHistory } from '../../../src/adapters/data/index.js';
import type { ClosedCandle } from '../../../src/engine/ports.js';
import type { FundingEvent, MarkCandle, OrderRequest, SymbolRules } from '../../../src/engine/types.js';
import { ManualClock } from '../../../src/adapters/clock.js';
import { PaperExchange } from '../../../src/adapters/paper/index.js';
import type { PaperExchangeOptions } from '../../../src/adapters/paper/index.js';
import { silentLogger } from '../../../src/logger.js';

export const CRASH_DIR = fileURLToPath(new URL('../../../data/fixtures/crash-2025-10-10/', import.meta.url));
export const CRASH_SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT'] as const;
export const MINUTE_MS = 60_000;
export const FIVE_MIN_MS = 5 * MINUTE_MS;

export interface CrashFixture {
  readonly rules: Map<string, SymbolRules>;
  readonly history: Map<string, SymbolHistory>;
  readonly funding: Map<string, readonly FundingEvent[]>;
}

export async function loadCrashFixture(): Promise<CrashFixture> {
  const rules = loadExchangeRules(CRASH_DIR, CRASH_SYMBOLS);
  const history = await loadMarketHistory(CRASH_DIR, CRASH_SYMBOLS);
  const funding = new Map<string, readonly FundingEvent[]>();
  for (const [symbol, h] of history) if (h.funding !== null) funding.set(symbol, h.funding);
  return { rules, history, funding };
}

/** UTC ms of an ISO time like '2025-10-10T21:15'. */
export function utc(iso: string): number {
  return Date.parse(`${iso}:00Z`);
}

function markFor(marks: readonly MarkCandle[] | null, timestamp: number): MarkCandle | null {
  if (marks === null) return null;
  const hour = Math.floor(timestamp / 3_600_000) * 3_600_000;
  return marks.find((m) => m.timestamp === hour) ?? null;
}

/** The closed candles of `symbol` with open time in [fromMs, toMs), each with its hour's mark candle. */
export function closedCandles(fixture: CrashFixture, symbol: string, fromMs: number, toMs: number): ClosedCandle[] {
  const h = fixture.history.get(symbol);
  if (h === undefined) throw new Error(`no history for ${symbol}`);
  return h.candles
    .filter((c) => c.timestamp >= fromMs && c.timestamp < toMs)
    .map((candle) => ({ symbol, candle, mark: markFor(h.mark, candle.timestamp) }));
}

/** A paper exchange on the fixture, its manual clock, and a feeder that advances the clock to each close. */
export function paperOnFixture(
  fixture: CrashFixture,
  startIso: string,
  options: Partial<Omit<PaperExchangeOptions, 'rules' | 'clock' | 'logger'>> = {},
): { exchange: PaperExchange; clock: ManualClock; feed: (symbol: string, fromIso: string, toIso: string) => void } {
  const clock = new ManualClock(utc(startIso));
  const exchange = new PaperExchange({ rules: fixture.rules, clock, logger: silentLogger, funding: fixture.funding, ...options });
  const feed = (symbol: string, fromIso: string, toIso: string): void => {
    for (const closed of closedCandles(fixture, symbol, utc(fromIso), utc(toIso))) {
      exchange.onCandle(closed);
      clock.set(closed.candle.timestamp + FIVE_MIN_MS);
    }
  };
  return { exchange, clock, feed };
}

export function marketOrder(
  symbol: string,
  side: 'buy' | 'sell',
  quantity: number,
  clientOrderId: string,
  reduceOnly = false,
): OrderRequest {
  return { symbol, side, type: 'market', quantity, reduceOnly, clientOrderId };
}

/** A reduce-only stop-market (the stop-loss of a position). */
export function stopOrder(symbol: string, side: 'buy' | 'sell', quantity: number, stopPrice: number, clientOrderId: string): OrderRequest {
  return { symbol, side, type: 'stop_market', quantity, stopPrice, reduceOnly: true, clientOrderId };
}

export function limitOrder(
  symbol: string,
  side: 'buy' | 'sell',
  quantity: number,
  price: number,
  clientOrderId: string,
  reduceOnly = false,
): OrderRequest {
  return { symbol, side, type: 'limit', quantity, price, reduceOnly, clientOrderId };
}
