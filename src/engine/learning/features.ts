/**
 * The model's input vector (ARCHITECTURE.md "Data flow of one decision", steps 2 and 4).
 *
 * Built from closed candles only, incrementally (O(1) per candle), by the same code in the
 * backtest, the walk-forward harness and live: `CandleContext.update` is fed every closed
 * candle of a symbol, and `modelVector` combines it with the signal the rule generator
 * proposed at that candle (whose `features` come from `FeatureState`, reused, not recomputed).
 *
 * Rules the vector keeps (ml-xgboost traps):
 *  - every value is finite: a NaN throws inside the library, and an uncaught one in
 *    `predict` kills the process; `assertModelRow` refuses such a row before it gets there;
 *  - no value is −1 after Float32 rounding: the library hard-codes −1 as "missing";
 *    categorical inputs (rule, side, funding known) are 0/1, and `assertModelRow` moves a
 *    real −1 (rare: e.g. a channel position of exactly −1) a hair towards zero;
 *  - unknown funding is 0 with `fundingKnown` 0, never a sentinel.
 * No time-of-day or weekday inputs: in the feasibility study they carried half of the
 * in-sample AUC and did not hold out of sample.
 */
import type { Features } from '../features.js';
import { SIGNAL_RULES, type Signal } from '../signals.js';
import type { Candle } from '../types.js';

/** Look-backs (in 5m candles) of the return features beyond the engine's own 1-candle and 1-hour returns. */
export const RETURN_HORIZONS = { return15mRate: 3, return4hRate: 48, return24hRate: 288 } as const;
/** Window of the volume z-score (one day of 5m candles). */
export const VOLUME_WINDOW = 288;

/** Field order of the model input. Append only, never reorder (stored models read it by position). */
export const MODEL_FEATURE_NAMES = [
  'returnRate',
  'return15mRate',
  'momentumRate',
  'return4hRate',
  'return24hRate',
  'atrRate',
  'rsi',
  'emaSpreadRate',
  'closeToEmaFastRate',
  'closeToEmaSlowRate',
  'emaSlowSlopeRate',
  'volumeZ',
  'volumeRatio',
  'channelPosition',
  'channelWidthRate',
  'bodyRate',
  'fundingRate',
  'fundingKnown',
  'sideLong',
  'ruleTrendPullback',
  'ruleBreakout',
  'ruleMeanReversion',
] as const;

export type ModelFeatureName = (typeof MODEL_FEATURE_NAMES)[number];
export const MODEL_FEATURE_COUNT = MODEL_FEATURE_NAMES.length;

/** What the candle stream adds to the engine's `Features` (all scale-free). */
export interface CandleExtras {
  readonly return15mRate: number;
  readonly return4hRate: number;
  readonly return24hRate: number;
  /** (log volume − mean) / std over the previous day; 0 until the window has spread. */
  readonly volumeZ: number;
}

/**
 * Per-symbol rolling state: closes for the multi-horizon returns and running sums of
 * log volume for the z-score. Feed every closed candle once, in order.
 */
export class CandleContext {
  private readonly closes: Float64Array;
  private readonly logVolumes: Float64Array;
  private count = 0;
  private sum = 0;
  private sumSquares = 0;
  private lastTimestamp = Number.NEGATIVE_INFINITY;
  private extras: CandleExtras | null = null;

  constructor() {
    this.closes = new Float64Array(RETURN_HORIZONS.return24hRate + 1);
    this.logVolumes = new Float64Array(VOLUME_WINDOW);
  }

  /** Adds one closed candle; returns the extras of that candle (null until one day has passed). */
  update(candle: Candle): CandleExtras | null {
    if (!(candle.timestamp > this.lastTimestamp)) {
      throw new RangeError(`candle ${candle.timestamp} is not after ${this.lastTimestamp}; feed each closed candle once, in order`);
    }
    this.lastTimestamp = candle.timestamp;
    const n = this.count;
    const logVolume = Math.log1p(Math.max(0, candle.volume));
    // Z-score against the previous day, before this candle joins the window.
    let volumeZ = 0;
    const inWindow = Math.min(n, VOLUME_WINDOW);
    if (inWindow >= 2) {
      const mean = this.sum / inWindow;
      const variance = Math.max(0, this.sumSquares / inWindow - mean * mean);
      const std = Math.sqrt(variance);
      volumeZ = std > 1e-9 ? (logVolume - mean) / std : 0;
    }
    const slot = n % VOLUME_WINDOW;
    if (n >= VOLUME_WINDOW) {
      const leaving = this.logVolumes[slot] as number;
      this.sum -= leaving;
      this.sumSquares -= leaving * leaving;
    }
    this.logVolumes[slot] = logVolume;
    this.sum += logVolume;
    this.sumSquares += logVolume * logVolume;

    const ring = this.closes.length;
    this.closes[n % ring] = candle.close;
    this.count = n + 1;
    if (this.count < ring) {
      this.extras = null;
      return null;
    }
    const ago = (lag: number): number => this.closes[(n - lag + ring) % ring] as number;
    this.extras = {
      return15mRate: candle.close / ago(RETURN_HORIZONS.return15mRate) - 1,
      return4hRate: candle.close / ago(RETURN_HORIZONS.return4hRate) - 1,
      return24hRate: candle.close / ago(RETURN_HORIZONS.return24hRate) - 1,
      volumeZ: clamp(volumeZ, -8, 8),
    };
    return this.extras;
  }

  /** Extras of the last candle fed (null during the first day). */
  get last(): CandleExtras | null {
    return this.extras;
  }

  get candlesSeen(): number {
    return this.count;
  }
}

/** Candles a `CandleContext` needs before it gives extras. */
export const CANDLE_CONTEXT_WARMUP = RETURN_HORIZONS.return24hRate + 1;

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** The value the library would read as "missing", after Float32 rounding. */
const LIBRARY_MISSING = -1;
const NUDGED_MINUS_ONE = Math.fround(-0.9999999);

/**
 * Throws a RangeError naming the first non-finite value; replaces an exact −1 (after
 * Float32 rounding) in place by −0.9999999. Call on every row before it enters the library.
 */
export function assertModelRow(row: Float32Array | number[], names: readonly string[] = MODEL_FEATURE_NAMES): void {
  for (let i = 0; i < row.length; i++) {
    const value = row[i] as number;
    if (!Number.isFinite(value))
      throw new RangeError(`model input ${names[i] ?? i} is ${value}; refusing a non-finite value (the library throws on NaN)`);
    if (Math.fround(value) === LIBRARY_MISSING) row[i] = NUDGED_MINUS_ONE;
  }
}

export interface VectorInput {
  readonly signal: Pick<Signal, 'side' | 'rule'> & { readonly features: Features };
  readonly extras: CandleExtras;
  /** Last known funding rate of the symbol (fraction per 8 h), null when unknown. */
  readonly fundingRate: number | null;
}

/**
 * Writes the model input of one proposed signal into `target` (length MODEL_FEATURE_COUNT)
 * in MODEL_FEATURE_NAMES order; returns false (target untouched after the first bad value is
 * found) when a value is not finite, so the caller falls back instead of feeding the library.
 */
export function writeModelVector(input: VectorInput, target: Float32Array | number[], offset = 0): boolean {
  const f = input.signal.features;
  const e = input.extras;
  const funding = input.fundingRate;
  const fundingKnown = funding !== null && Number.isFinite(funding);
  const values = [
    f.returnRate,
    e.return15mRate,
    f.momentumRate,
    e.return4hRate,
    e.return24hRate,
    f.atrRate,
    f.rsi,
    f.emaSpreadRate,
    f.closeToEmaFastRate,
    f.closeToEmaSlowRate,
    f.emaSlowSlopeRate,
    e.volumeZ,
    Math.min(f.volumeRatio, 50),
    clamp(f.channelPosition, -5, 6),
    f.channelWidthRate,
    f.bodyRate,
    fundingKnown ? funding : 0,
    fundingKnown ? 1 : 0,
    input.signal.side === 'long' ? 1 : 0,
    input.signal.rule === SIGNAL_RULES[0] ? 1 : 0,
    input.signal.rule === SIGNAL_RULES[1] ? 1 : 0,
    input.signal.rule === SIGNAL_RULES[2] ? 1 : 0,
  ];
  for (const v of values) if (!Number.isFinite(v)) return false;
  for (let i = 0; i < values.length; i++) {
    let v = values[i] as number;
    if (Math.fround(v) === LIBRARY_MISSING) v = NUDGED_MINUS_ONE;
    target[offset + i] = v;
  }
  return true;
}

/** The model input as a new Float32Array, or null when a value is not finite. */
export function modelVector(input: VectorInput): Float32Array | null {
  const row = new Float32Array(MODEL_FEATURE_COUNT);
  return writeModelVector(input, row) ? row : null;
}

/**
 * Per-symbol cache of the last vector (BLUEPRINT "Railway 512 MB": feature cache TTL 60 s):
 * the position controller re-scores an open position every 2 s from the same closed candle,
 * so the vector is built once per candle and dropped 60 s after it was built.
 */
export class FeatureCache {
  private readonly entries = new Map<string, { at: number; candleTimestamp: number; vector: Float32Array }>();
  constructor(readonly ttlMs = 60_000) {}

  get(symbol: string, candleTimestamp: number, nowMs: number): Float32Array | null {
    const entry = this.entries.get(symbol);
    if (entry === undefined) return null;
    if (nowMs - entry.at > this.ttlMs || entry.candleTimestamp !== candleTimestamp) {
      this.entries.delete(symbol);
      return null;
    }
    return entry.vector;
  }

  set(symbol: string, candleTimestamp: number, vector: Float32Array, nowMs: number): void {
    this.entries.set(symbol, { at: nowMs, candleTimestamp, vector });
  }

  /** Drops every entry older than the TTL (bounded memory when a symbol goes quiet). */
  sweep(nowMs: number): void {
    for (const [symbol, entry] of this.entries) if (nowMs - entry.at > this.ttlMs) this.entries.delete(symbol);
  }

  get size(): number {
    return this.entries.size;
  }
}
