/**
 * The streaming indicators behind the features: EMA, Wilder's RSI and Wilder's ATR.
 *
 * They compute exactly the doubles of `trading-signals` 8.3.0 (EMA, and RSI / ATR over its
 * WSMA smoothing), operation for operation, and a test feeds both the bundled candles and a
 * random walk to check every value bit for bit. Why not the library itself: its classes go
 * through a result/previous-result/signal-state hierarchy on every input and its WSMA keeps
 * feeding an O(interval) inner SMA after it has seeded, which made the indicators half of a
 * backtest's time. These are a few fields and a few flops per closed candle, allocation-free.
 *
 * Closed candles only: there is no `replace` of the last input.
 */

/** EMA with weight 2 / (period + 1), seeded with the first input (as the library does). */
export class Ema {
  readonly period: number;
  private readonly weight: number;
  private readonly keep: number;
  private value = Number.NaN;
  private count = 0;

  constructor(period: number) {
    this.period = period;
    this.weight = 2 / (period + 1);
    this.keep = 1 - this.weight;
  }

  /** Adds one input and returns the new average (defined from the first input on). */
  add(input: number): number {
    const previous = this.count === 0 ? input : this.value;
    this.count++;
    this.value = input * this.weight + previous * this.keep;
    return this.value;
  }

  /** The average once `period` inputs have been added, null before. */
  get result(): number | null {
    return this.count < this.period ? null : this.value;
  }
}

/**
 * Wilder's smoothing: the plain average of the first `period` inputs, then
 * `previous + (input − previous) / period`. NaN until seeded.
 */
class WilderAverage {
  private readonly factor: number;
  private seedSum = 0;
  private seedCount = 0;
  value = Number.NaN;

  constructor(private readonly period: number) {
    this.factor = 1 / period;
  }

  add(input: number): void {
    if (this.seedCount === this.period) {
      this.value = (input - this.value) * this.factor + this.value;
      return;
    }
    this.seedSum += input;
    this.seedCount++;
    if (this.seedCount === this.period) this.value = this.seedSum / this.period;
  }

  get seeded(): boolean {
    return this.seedCount === this.period;
  }
}

/** Wilder's RSI, 0–100; null until `period` changes (period + 1 inputs) have been seen. */
export class Rsi {
  private readonly gains: WilderAverage;
  private readonly losses: WilderAverage;
  private previous = Number.NaN;
  private value: number | null = null;

  constructor(readonly period: number) {
    this.gains = new WilderAverage(period);
    this.losses = new WilderAverage(period);
  }

  add(price: number): number | null {
    const previous = this.previous;
    this.previous = price;
    if (previous !== previous) return null; // the first price only seeds `previous`
    if (price > previous) {
      this.losses.add(0);
      this.gains.add(price - previous);
    } else {
      this.losses.add(previous - price);
      this.gains.add(0);
    }
    if (!this.gains.seeded) return null;
    const averageLoss = this.losses.value;
    this.value = averageLoss === 0 ? 100 : 100 - 100 / (this.gains.value / averageLoss + 1);
    return this.value;
  }

  get result(): number | null {
    return this.value;
  }
}

/** Wilder's ATR of the true range; null until `period` candles have been seen. */
export class Atr {
  private readonly average: WilderAverage;
  private previousClose = Number.NaN;

  constructor(readonly period: number) {
    this.average = new WilderAverage(period);
  }

  add(high: number, low: number, close: number): number | null {
    const previousClose = this.previousClose;
    const highLow = high - low;
    const trueRange =
      previousClose !== previousClose ? highLow : Math.max(highLow, Math.abs(high - previousClose), Math.abs(low - previousClose));
    this.previousClose = close;
    this.average.add(trueRange);
    return this.average.seeded ? this.average.value : null;
  }
}
