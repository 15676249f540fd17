/**
 * Loaders for the three time series of `data/`: 5m trade candles, hourly mark
 * candles and funding events. Every row is validated (even rows outside a
 * `from`/`to` selection) so a bad file is refused whole, with its file and line.
 */
import { CANDLE_MS, type Candle, type FundingEvent, type MarkCandle } from '../../engine/types.js';
import { DataError } from '../../errors.js';
import { scanNumericCsv } from './csv-scan.js';

export const CANDLE_HEADER = 'timestamp,open,high,low,close,volume';
export const MARK_HEADER = 'timestamp,open,high,low,close';
export const FUNDING_HEADER = 'timestamp,rate';

export const MARK_STEP_MS = 3_600_000;

/** Optional time selection; both bounds inclusive, on the row's open time. */
export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

export interface CandleReadOptions extends TimeRange {
  /** Candle period; timestamps must differ by a multiple of it. Default 5 minutes. */
  readonly stepMs?: number;
}

/** A run of missing candles: `missing` candles are absent right after the one opened at `afterTimestamp`. */
export interface CandleGap {
  readonly afterTimestamp: number;
  readonly missing: number;
}

export interface CandleFile {
  readonly file: string;
  /** The selected candles (all rows when no `from`/`to`), oldest first. */
  readonly candles: Candle[];
  /** Gaps inside the selection (both neighbours selected). Reported, not an error. */
  readonly gaps: CandleGap[];
  /** Selected candles with volume 0. Reported, not an error. */
  readonly zeroVolume: number;
  /** Open time of the file's first and last row (the whole file, not the selection). */
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
}

/**
 * Reads a 5m candle file (`.csv` or `.csv.gz`, header `timestamp,open,high,low,close,volume`).
 * Rules per row: integer ms timestamp, strictly increasing, on the `stepMs` grid;
 * open, high, low, close > 0; high ≥ max(open, close, low); low ≤ min(open, close); volume ≥ 0.
 */
export async function readCandles(file: string, options: CandleReadOptions = {}): Promise<CandleFile> {
  const stepMs = options.stepMs ?? CANDLE_MS;
  assertStep(stepMs, file);
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  const candles: Candle[] = [];
  const gaps: CandleGap[] = [];
  let zeroVolume = 0;
  let first = Number.NaN;
  let previous = Number.NaN;

  await scanNumericCsv(file, CANDLE_HEADER, (f, line) => {
    const timestamp = f[0]!;
    const open = f[1]!;
    const high = f[2]!;
    const low = f[3]!;
    const close = f[4]!;
    const volume = f[5]!;
    // One cheap combined test per row; the detailed checks only run to explain a failure.
    const steps = (timestamp - previous) / stepMs;
    if (
      !(
        (steps >= 1 || previous !== previous) &&
        steps === Math.floor(steps) &&
        timestamp === Math.floor(timestamp) &&
        low > 0 &&
        high >= open &&
        high >= close &&
        low <= open &&
        low <= close &&
        volume >= 0
      )
    ) {
      checkTimestamp(timestamp, previous, stepMs, file, line);
      checkOhlc(open, high, low, close, file, line);
      if (volume < 0) throw new DataError(`volume ${volume} is negative`, file, line);
    }
    if (timestamp >= from && timestamp <= to) {
      if (previous === previous && previous >= from && timestamp - previous > stepMs) {
        gaps.push({ afterTimestamp: previous, missing: (timestamp - previous) / stepMs - 1 });
      }
      if (volume === 0) zeroVolume++;
      candles.push({ timestamp, open, high, low, close, volume });
    }
    if (first !== first) first = timestamp;
    previous = timestamp;
  });

  return { file, candles, gaps, zeroVolume, firstTimestamp: first, lastTimestamp: previous };
}

export interface MarkReadOptions extends TimeRange {
  /** Mark candle period. Default 1 hour. */
  readonly stepMs?: number;
}

/**
 * Reads a mark-price candle file (header `timestamp,open,high,low,close`), same rules
 * as trade candles without volume. Gaps are allowed (the replay then has no mark there).
 * With `from`/`to`, keeps every mark candle whose period overlaps the range, so the
 * hour containing `from` is included.
 */
export async function readMarkCandles(file: string, options: MarkReadOptions = {}): Promise<MarkCandle[]> {
  const stepMs = options.stepMs ?? MARK_STEP_MS;
  assertStep(stepMs, file);
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  const marks: MarkCandle[] = [];
  let previous = Number.NaN;
  await scanNumericCsv(file, MARK_HEADER, (f, line) => {
    const timestamp = f[0]!;
    const open = f[1]!;
    const high = f[2]!;
    const low = f[3]!;
    const close = f[4]!;
    checkTimestamp(timestamp, previous, stepMs, file, line);
    checkOhlc(open, high, low, close, file, line);
    if (timestamp + stepMs > from && timestamp <= to) marks.push({ timestamp, open, high, low, close });
    previous = timestamp;
  });
  return marks;
}

/**
 * Reads a funding file (header `timestamp,rate`): integer ms timestamps, strictly
 * increasing (no grid: Binance moves some symbols to 4h or 1h intervals), finite rate.
 */
export async function readFunding(file: string, options: TimeRange = {}): Promise<FundingEvent[]> {
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  const events: FundingEvent[] = [];
  let previous = Number.NaN;
  await scanNumericCsv(file, FUNDING_HEADER, (f, line) => {
    const timestamp = f[0]!;
    const rate = f[1]!;
    checkTimestamp(timestamp, previous, 0, file, line);
    if (Math.abs(rate) >= 1) throw new DataError(`rate ${rate} is not a fraction (|rate| must be < 1)`, file, line);
    if (timestamp >= from && timestamp <= to) events.push({ timestamp, rate });
    previous = timestamp;
  });
  return events;
}

/** Integer, strictly after `previous`, and (when `stepMs` > 0) a whole number of steps after it. */
function checkTimestamp(timestamp: number, previous: number, stepMs: number, file: string, line: number): void {
  if (!Number.isInteger(timestamp) || timestamp < 0) {
    throw new DataError(`timestamp ${timestamp} is not a non-negative integer of milliseconds`, file, line);
  }
  if (previous !== previous) return; // first row
  if (timestamp <= previous) {
    throw new DataError(`timestamp ${timestamp} is not after the previous row's ${previous} (must strictly increase)`, file, line);
  }
  if (stepMs > 0 && (timestamp - previous) % stepMs !== 0) {
    throw new DataError(
      `timestamp ${timestamp} is off the ${stepMs} ms grid (${timestamp - previous} ms after the previous row)`,
      file,
      line,
    );
  }
}

function checkOhlc(open: number, high: number, low: number, close: number, file: string, line: number): void {
  if (!(open > 0 && high > 0 && low > 0 && close > 0)) {
    throw new DataError(`prices must be > 0 (open ${open}, high ${high}, low ${low}, close ${close})`, file, line);
  }
  if (high < low) throw new DataError(`high ${high} < low ${low}`, file, line);
  if (high < open || high < close) {
    throw new DataError(`high ${high} is below open ${open} or close ${close}`, file, line);
  }
  if (low > open || low > close) {
    throw new DataError(`low ${low} is above open ${open} or close ${close}`, file, line);
  }
}

function assertStep(stepMs: number, file: string): void {
  if (!Number.isInteger(stepMs) || stepMs <= 0) {
    throw new DataError(`stepMs must be a positive integer, got ${stepMs}`, file);
  }
}
