/**
 * Streaming features of one symbol, updated once per closed 5m candle
 * (ARCHITECTURE.md "Data flow of one decision", step 2).
 *
 * The same numbers feed the rule-based signal generator now and the model later
 * (`toVector`), so every field is scale-free: a fraction of price (`…Rate`, where
 * 0.01 = 1 %), an oscillator (`rsi`, 0–100) or a ratio. Absolute prices never
 * enter the vector, so a model trained on BTC can read SOL.
 *
 * EMA, RSI and ATR are our allocation-free versions of `trading-signals`' (./indicators.ts,
 * checked bit for bit against the library by a test). The rolling channel high/low is a
 * monotonic deque. Every update is O(1) (amortised for the deque) and deterministic.
 *
 * There is no serialise/restore: after a restart the state is rebuilt by replaying
 * the last `FEATURE_WARMUP_CANDLES` closed candles (fetching them is one request).
 */
import { Atr, Ema, Rsi } from './indicators.js';
import type { Candle } from './types.js';

/** Indicator periods, in 5m candles. */
export interface FeatureConfig {
  readonly emaFastPeriod: number;
  readonly emaSlowPeriod: number;
  readonly rsiPeriod: number;
  readonly atrPeriod: number;
  /** EMA period of the volume baseline for `volumeRatio`. */
  readonly volumePeriod: number;
  /** Look-back of the channel high/low (previous candles, the current one excluded). */
  readonly channelPeriod: number;
  /** Look-back of `momentumRate` and `emaSlowSlopeRate`. */
  readonly momentumPeriod: number;
}

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = Object.freeze({
  emaFastPeriod: 21,
  emaSlowPeriod: 55,
  rsiPeriod: 14,
  atrPeriod: 14,
  volumePeriod: 20,
  channelPeriod: 48, // 4 hours
  momentumPeriod: 12, // 1 hour
});

/**
 * Closed candles needed before `update` returns features. Twice the slow EMA
 * period: the EMA is seeded with the first price, and after 2 × 55
 * candles that seed weighs (1 − 2/56)^110 ≈ 2 %, so features of a warm-up from
 * history match those of a long-running process closely.
 */
export function featureWarmupCandles(config: FeatureConfig = DEFAULT_FEATURE_CONFIG): number {
  return Math.max(
    2 * config.emaSlowPeriod,
    config.emaSlowPeriod + config.momentumPeriod,
    config.channelPeriod + 1,
    config.rsiPeriod + 1,
    config.atrPeriod + 1,
    config.volumePeriod + 1,
  );
}

/** Warm-up of the default configuration: 110 candles (9 h 10 min of 5m candles). */
export const FEATURE_WARMUP_CANDLES = featureWarmupCandles();

/** The features of one closed candle. All fields are finite numbers. */
export interface Features {
  /** (EMA fast − EMA slow) / EMA slow. > 0 in an uptrend. */
  readonly emaSpreadRate: number;
  /** (close − EMA fast) / EMA fast: how far price is stretched from the fast average. */
  readonly closeToEmaFastRate: number;
  /** (close − EMA slow) / EMA slow. */
  readonly closeToEmaSlowRate: number;
  /** EMA slow now / EMA slow `momentumPeriod` candles ago − 1: the trend's slope. */
  readonly emaSlowSlopeRate: number;
  /** Wilder RSI, 0–100. */
  readonly rsi: number;
  /** Wilder ATR / close. */
  readonly atrRate: number;
  /** Volume / EMA of the previous volumes (1 = ordinary, 2 = double). */
  readonly volumeRatio: number;
  /** close / previous close − 1. */
  readonly returnRate: number;
  /** close / close `momentumPeriod` candles ago − 1. */
  readonly momentumRate: number;
  /** (close − open) / open: the candle's body, signed. */
  readonly bodyRate: number;
  /**
   * Where the close sits in the channel of the previous `channelPeriod` candles:
   * 0 = at their lowest low, 1 = at their highest high; > 1 or < 0 is a breakout.
   */
  readonly channelPosition: number;
  /** (highest high − lowest low) of the previous `channelPeriod` candles / close. */
  readonly channelWidthRate: number;
}

export type MutableFeatures = { -readonly [K in keyof Features]: Features[K] };

/** A features record to be filled by `FeatureState.updateInto`. */
export function emptyFeatures(): MutableFeatures {
  return {
    emaSpreadRate: 0,
    closeToEmaFastRate: 0,
    closeToEmaSlowRate: 0,
    emaSlowSlopeRate: 0,
    rsi: 0,
    atrRate: 0,
    volumeRatio: 0,
    returnRate: 0,
    momentumRate: 0,
    bodyRate: 0,
    channelPosition: 0,
    channelWidthRate: 0,
  };
}

/** Field order of `toVector`; the model's input layout. Append only, never reorder. */
export const featureNames = [
  'emaSpreadRate',
  'closeToEmaFastRate',
  'closeToEmaSlowRate',
  'emaSlowSlopeRate',
  'rsi',
  'atrRate',
  'volumeRatio',
  'returnRate',
  'momentumRate',
  'bodyRate',
  'channelPosition',
  'channelWidthRate',
] as const satisfies readonly (keyof Features)[];

export type FeatureName = (typeof featureNames)[number];

/** The features as a number array in `featureNames` order (the model input vector). */
export function toVector(features: Features): number[] {
  const vector = new Array<number>(featureNames.length);
  for (let i = 0; i < featureNames.length; i++) vector[i] = features[featureNames[i] as FeatureName];
  return vector;
}

/** Fixed-capacity ring of numbers: the value `lag` inputs ago in O(1). */
class NumberRing {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;
  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }
  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }
  /** The value pushed `capacity` pushes ago (the oldest), NaN until full. */
  oldest(): number {
    return this.count < this.capacity ? Number.NaN : (this.values[this.next] as number);
  }
}

/**
 * Rolling maximum of the last `period` inputs by a monotonic deque (amortised O(1)).
 * `sign` −1 turns it into a rolling minimum.
 */
class RollingExtreme {
  private readonly values: Float64Array;
  private readonly indexes: Float64Array;
  private head = 0;
  private size = 0;
  private index = 0;
  constructor(
    private readonly period: number,
    private readonly sign: 1 | -1,
  ) {
    this.values = new Float64Array(period + 1);
    this.indexes = new Float64Array(period + 1);
  }
  push(rawValue: number): void {
    const value = rawValue * this.sign;
    const cap = this.values.length;
    // Drop smaller values from the back: they can never be the extreme again.
    while (this.size > 0) {
      const back = (this.head + this.size - 1) % cap;
      if ((this.values[back] as number) > value) break;
      this.size--;
    }
    const slot = (this.head + this.size) % cap;
    this.values[slot] = value;
    this.indexes[slot] = this.index;
    this.size++;
    // Drop the front once it left the window.
    if ((this.indexes[this.head] as number) <= this.index - this.period) {
      this.head = (this.head + 1) % cap;
      this.size--;
    }
    this.index++;
  }
  get full(): boolean {
    return this.index >= this.period;
  }
  get value(): number {
    return (this.values[this.head] as number) * this.sign;
  }
}

/**
 * Per-symbol streaming feature state. Feed every closed candle, in order, once.
 * Blueprint: "features updated incrementally (streaming indicators)".
 */
export class FeatureState {
  readonly config: FeatureConfig;
  readonly warmupCandles: number;
  private readonly emaFast: Ema;
  private readonly emaSlow: Ema;
  private readonly rsi: Rsi;
  private readonly atr: Atr;
  private readonly volumeEma: Ema;
  private readonly channelHigh: RollingExtreme;
  private readonly channelLow: RollingExtreme;
  private readonly pastCloses: NumberRing;
  private readonly pastEmaSlow: NumberRing;
  private previousClose = Number.NaN;
  private lastTimestamp = Number.NEGATIVE_INFINITY;
  private candleCount = 0;
  private rsiValue = Number.NaN;
  private atrValue = Number.NaN;

  constructor(config: FeatureConfig = DEFAULT_FEATURE_CONFIG) {
    for (const [key, value] of Object.entries(config)) {
      if (!Number.isInteger(value) || value < 2) throw new RangeError(`FeatureConfig.${key} must be an integer ≥ 2, got ${String(value)}`);
    }
    this.config = config;
    this.warmupCandles = featureWarmupCandles(config);
    this.emaFast = new Ema(config.emaFastPeriod);
    this.emaSlow = new Ema(config.emaSlowPeriod);
    this.rsi = new Rsi(config.rsiPeriod);
    this.atr = new Atr(config.atrPeriod);
    this.volumeEma = new Ema(config.volumePeriod);
    this.channelHigh = new RollingExtreme(config.channelPeriod, 1);
    this.channelLow = new RollingExtreme(config.channelPeriod, -1);
    this.pastCloses = new NumberRing(config.momentumPeriod);
    this.pastEmaSlow = new NumberRing(config.momentumPeriod);
  }

  /** Closed candles seen so far. */
  get candlesSeen(): number {
    return this.candleCount;
  }

  get isWarm(): boolean {
    return this.candleCount >= this.warmupCandles;
  }

  /**
   * Adds one closed candle; returns its features, or null during warm-up.
   * Throws a RangeError on a candle out of order or with a non-positive price,
   * because a silently skipped candle would shift every indicator after it.
   */
  update(candle: Candle): Features | null {
    const features = emptyFeatures();
    return this.updateInto(candle, features) ? features : null;
  }

  /**
   * `update` without an allocation: writes the features into `target` and returns true, or
   * returns false during warm-up (`target` untouched). For the hot path of the signal
   * generator, which alternates two buffers; callers that keep features use `update`.
   */
  updateInto(candle: Candle, target: MutableFeatures): boolean {
    const { open, high, low, close, volume, timestamp } = candle;
    if (!(timestamp > this.lastTimestamp)) {
      throw new RangeError(
        `candle ${timestamp} is not after the previous one (${this.lastTimestamp}); feed each closed candle once, in order`,
      );
    }
    if (!(close > 0 && open > 0 && high > 0 && low > 0 && volume >= 0)) {
      throw new RangeError(`candle ${timestamp} has a non-positive price or negative volume`);
    }
    this.lastTimestamp = timestamp;

    // Channel of the *previous* candles, read before this candle joins it.
    const channelFull = this.channelHigh.full;
    const highestHigh = this.channelHigh.value;
    const lowestLow = this.channelLow.value;
    // Volume baseline before this candle, so a spike is measured against the ordinary.
    const volumeBaseline = this.volumeEma.result;
    const closeAgo = this.pastCloses.oldest();
    const emaSlowAgo = this.pastEmaSlow.oldest();
    const previousClose = this.previousClose;

    const emaFast = this.emaFast.add(close);
    const emaSlow = this.emaSlow.add(close);
    const rsi = this.rsi.add(close);
    if (rsi !== null) this.rsiValue = rsi;
    const atr = this.atr.add(high, low, close);
    if (atr !== null) this.atrValue = atr;
    this.volumeEma.add(volume);
    this.channelHigh.push(high);
    this.channelLow.push(low);
    this.pastCloses.push(close);
    this.pastEmaSlow.push(emaSlow);
    this.previousClose = close;
    this.candleCount++;

    if (this.candleCount < this.warmupCandles || !channelFull) return false;

    const channelRange = highestHigh - lowestLow;
    target.emaSpreadRate = (emaFast - emaSlow) / emaSlow;
    target.closeToEmaFastRate = (close - emaFast) / emaFast;
    target.closeToEmaSlowRate = (close - emaSlow) / emaSlow;
    target.emaSlowSlopeRate = emaSlow / emaSlowAgo - 1;
    target.rsi = this.rsiValue;
    target.atrRate = this.atrValue / close;
    target.volumeRatio = volumeBaseline !== null && volumeBaseline > 0 ? volume / volumeBaseline : 1;
    target.returnRate = close / previousClose - 1;
    target.momentumRate = close / closeAgo - 1;
    target.bodyRate = (close - open) / open;
    target.channelPosition = channelRange > 0 ? (close - lowestLow) / channelRange : 0.5;
    target.channelWidthRate = channelRange / close;
    return true;
  }
}
