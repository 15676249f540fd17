/**
 * Loads everything the replay and the backtest need for a set of symbols.
 * The mark and funding files are read while the candle files are, but the candle files'
 * verdict comes first: a bad candle file is the error reported, whatever the others hold.
 */
import type { Candle, FundingEvent, MarkCandle } from '../../engine/types.js';
import { DataError } from '../../errors.js';
import { dataLayout } from './layout.js';
import type { SymbolFiles } from './layout.js';
import { readCandles, readFunding, readMarkCandles } from './series.js';
import type { CandleFile, CandleGap, TimeRange } from './series.js';

export interface SymbolHistory {
  readonly symbol: string;
  readonly candles: Candle[];
  readonly gaps: CandleGap[];
  readonly zeroVolume: number;
  /** null when there is no mark file: mark = trade price. */
  readonly mark: MarkCandle[] | null;
  /** null when there is no funding file (the paper venue then charges the fallback rate). */
  readonly funding: FundingEvent[] | null;
  /** Human-readable notes for the operator (missing mark/funding, gaps, zero volume). */
  readonly warnings: string[];
}

/**
 * Reads the candles (required), mark candles and funding (optional) of `symbols`
 * from `dataDir`, restricted to `range` (inclusive). A selection with no candle is a
 * DataError naming the file and the span it covers.
 */
export async function loadMarketHistory(
  dataDir: string,
  symbols: readonly string[],
  range: TimeRange = {},
): Promise<Map<string, SymbolHistory>> {
  const layout = dataLayout(dataDir);
  const files: SymbolFiles[] = symbols.map((symbol) => layout.files(symbol));

  const candlesRead = Promise.all(files.map((f) => readCandles(f.candles, range)));
  // Every symbol's mark and funding files at the same time (small files: their open and gunzip
  // latency dominates, and it hides behind the candle decoding).
  const extrasRead = Promise.all(
    files.map((f) =>
      Promise.all([
        f.mark === null ? Promise.resolve(null) : readMarkCandles(f.mark, range),
        f.funding === null ? Promise.resolve(null) : readFunding(f.funding, range),
      ]),
    ),
  );
  // Not awaited when a candle file fails: its own failure then must not go unhandled.
  extrasRead.catch(() => undefined);
  const candleFiles: CandleFile[] = await candlesRead;
  candleFiles.forEach((cf) => {
    if (cf.candles.length === 0) {
      throw new DataError(
        `no candles in the requested range ${describeRange(range)}; the file covers ` +
          `${iso(cf.firstTimestamp)} → ${iso(cf.lastTimestamp)}`,
        cf.file,
      );
    }
  });

  const extras = await extrasRead;
  const result = new Map<string, SymbolHistory>();
  for (const [index, f] of files.entries()) {
    const cf = candleFiles[index]!;
    const [mark, funding] = extras[index]!;
    result.set(f.symbol, {
      symbol: f.symbol,
      candles: cf.candles,
      gaps: cf.gaps,
      zeroVolume: cf.zeroVolume,
      mark,
      funding,
      warnings: warningsFor(f.symbol, cf, mark, funding),
    });
  }
  return result;
}

function warningsFor(
  symbol: string,
  cf: CandleFile,
  mark: MarkCandle[] | null,
  funding: FundingEvent[] | null,
): string[] {
  const warnings: string[] = [];
  const firstCandle = cf.candles[0]!.timestamp;
  const lastCandle = cf.candles[cf.candles.length - 1]!.timestamp;
  if (mark === null) {
    warnings.push(`no mark data for ${symbol}: mark = trade price`);
  } else if (mark.length === 0 || mark[0]!.timestamp > firstCandle || mark[mark.length - 1]!.timestamp + 3_600_000 <= lastCandle) {
    const span = mark.length === 0 ? 'none in range' : `${iso(mark[0]!.timestamp)} → ${iso(mark[mark.length - 1]!.timestamp)}`;
    warnings.push(`mark data for ${symbol} does not cover all candles (${span}): mark = trade price outside it`);
  }
  if (funding === null) warnings.push(`no funding data for ${symbol}: the paper venue charges the fallback rate (FUNDING_RATE_FALLBACK_PCT) at every 8-hourly funding time`);
  if (cf.gaps.length > 0) {
    const missing = cf.gaps.reduce((sum, g) => sum + g.missing, 0);
    warnings.push(`${symbol}: ${cf.gaps.length} gap(s) in the candles, ${missing} candle(s) missing (first after ${iso(cf.gaps[0]!.afterTimestamp)})`);
  }
  if (cf.zeroVolume > 0) warnings.push(`${symbol}: ${cf.zeroVolume} candle(s) with zero volume`);
  return warnings;
}

function describeRange(range: TimeRange): string {
  const from = range.from === undefined ? 'start' : iso(range.from);
  const to = range.to === undefined ? 'end' : iso(range.to);
  return `${from} → ${to}`;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
