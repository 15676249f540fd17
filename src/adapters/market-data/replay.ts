/**
 * Replay market data: plays loaded history (`loadMarketHistory`) back through the
 * `MarketData` port, so the engine runs the same code in a backtest, in paper
 * replay and live (ARCHITECTURE.md "Modes": MARKET_DATA=replay).
 */
import type { Clock, ClosedCandle, MarketData } from '../../engine/ports.js';
import { CANDLE_MS, type Candle, type FundingEvent, type MarkCandle, type Ticker } from '../../engine/types.js';
import { ConfigError } from '../../errors.js';
import { CancellableSleep } from '../clock.js';

/** One symbol's history; `SymbolHistory` from `src/adapters/data` fits. */
export interface ReplaySymbolData {
  readonly symbol: string;
  /** Oldest first, strictly increasing open times. */
  readonly candles: readonly Candle[];
  readonly mark: readonly MarkCandle[] | null;
  readonly funding: readonly FundingEvent[] | null;
}

export interface ReplayOptions {
  readonly data: Iterable<ReplaySymbolData>;
  /**
   * REPLAY_SPEED: market time per real time. 0 or Infinity = as fast as the engine
   * consumes; otherwise the replay sleeps (candle spacing / speed) ms on `clock`
   * between batches, i.e. 300 000 / speed ms between consecutive 5m candles.
   */
  readonly speed: number;
  /** Per symbol: open time of the last candle already processed; replay resumes after it. */
  readonly startAfter?: Readonly<Record<string, number>>;
  /** Required when `speed` is finite and > 0. */
  readonly clock?: Clock;
  /** Trade candle period (default 5 minutes). */
  readonly candleStepMs?: number;
  /** Mark candle period (default 1 hour). */
  readonly markStepMs?: number;
}

interface Cursor {
  readonly symbol: string;
  readonly candles: readonly Candle[];
  readonly marks: readonly MarkCandle[];
  readonly funding: readonly FundingEvent[];
  /** Next candle to emit. */
  next: number;
  /** Mark candle last matched (advances monotonically with `next`). */
  markIndex: number;
  /** Last emitted candle and its mark; the Ticker is built on request (saves an allocation per candle). */
  lastCandle: Candle | null;
  lastMark: MarkCandle | null;
}

export class ReplayMarketData implements MarketData {
  readonly source = 'replay' as const;
  private readonly cursors: Cursor[];
  private readonly bySymbol = new Map<string, Cursor>();
  private readonly speed: number;
  private readonly clock: Clock | null;
  private readonly sleeper: CancellableSleep | null;
  private readonly candleStepMs: number;
  private readonly markStepMs: number;
  private stopped = false;
  private running = false;
  private emitted = 0;

  constructor(options: ReplayOptions) {
    const { speed } = options;
    if (!(speed >= 0)) {
      throw new ConfigError([{ variable: 'REPLAY_SPEED', problem: `got ${speed}`, expected: 'a number ≥ 0 (0 = as fast as possible)' }]);
    }
    this.speed = speed;
    this.clock = options.clock ?? null;
    this.sleeper = this.clock === null ? null : new CancellableSleep(this.clock);
    if (this.paced() && this.clock === null) {
      throw new ConfigError([
        { variable: 'REPLAY_SPEED', problem: `speed ${speed} needs a clock to pace on`, expected: '0 or Infinity without a clock' },
      ]);
    }
    this.candleStepMs = options.candleStepMs ?? CANDLE_MS;
    this.markStepMs = options.markStepMs ?? 3_600_000;
    this.cursors = [];
    for (const entry of options.data) {
      const after = options.startAfter?.[entry.symbol];
      const cursor: Cursor = {
        symbol: entry.symbol,
        candles: entry.candles,
        marks: entry.mark ?? [],
        funding: entry.funding ?? [],
        next: after === undefined ? 0 : firstIndexAfter(entry.candles, after),
        markIndex: 0,
        lastCandle: null,
        lastMark: null,
      };
      this.cursors.push(cursor);
      this.bySymbol.set(entry.symbol, cursor);
    }
  }

  /** Symbols in the replay, in the order given. */
  symbols(): string[] {
    return this.cursors.map((c) => c.symbol);
  }

  /** Candles emitted so far and candles left (for progress bars). */
  progress(): { emittedCandles: number; remainingCandles: number } {
    const remainingCandles = this.cursors.reduce((sum, c) => sum + (c.candles.length - c.next), 0);
    return { emittedCandles: this.emitted, remainingCandles };
  }

  /** Funding events of `symbol` (for the paper exchange); empty when unknown. */
  fundingEvents(symbol: string): readonly FundingEvent[] {
    return this.bySymbol.get(symbol)?.funding ?? [];
  }

  /**
   * Warm-up history: at most `count` candles of `symbol` that have closed by `beforeMs`
   * (open + step ≤ beforeMs), oldest first. Empty for an unknown symbol.
   */
  async history(symbol: string, count: number, beforeMs: number): Promise<Candle[]> {
    const cursor = this.bySymbol.get(symbol);
    if (cursor === undefined || count <= 0) return [];
    const end = firstIndexAfter(cursor.candles, beforeMs - this.candleStepMs);
    return cursor.candles.slice(Math.max(0, end - count), end);
  }

  /**
   * k-way merge by open time: each batch holds every symbol's candle of the smallest
   * pending open time. A linear scan over the cursors (a handful of symbols) beats a heap here.
   * Resumes where it stopped if called again after `stop()`.
   */
  async run(onClose: (batch: readonly ClosedCandle[]) => Promise<void> | void): Promise<void> {
    if (this.running) throw new Error('ReplayMarketData.run is already running');
    this.running = true;
    this.stopped = false;
    let previousOpenMs: number | null = null;
    try {
      while (!this.stopped) {
        let openMs = Infinity;
        for (const c of this.cursors) {
          const candle = c.candles[c.next];
          if (candle !== undefined && candle.timestamp < openMs) openMs = candle.timestamp;
        }
        if (openMs === Infinity) break;
        if (previousOpenMs !== null && this.paced()) {
          await this.pause((openMs - previousOpenMs) / this.speed);
          if (this.stopped) break;
        }
        const batch: ClosedCandle[] = [];
        for (const c of this.cursors) {
          const candle = c.candles[c.next];
          if (candle === undefined || candle.timestamp !== openMs) continue;
          c.next++;
          const mark = this.markFor(c, candle.timestamp);
          c.lastCandle = candle;
          c.lastMark = mark;
          batch.push({ symbol: c.symbol, candle, mark });
        }
        this.emitted += batch.length;
        previousOpenMs = openMs;
        const pending = onClose(batch);
        if (pending !== undefined) await pending;
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.stopped = true;
    this.sleeper?.cancel();
  }

  /** Last emitted close of `symbol`; null before its first candle. */
  lastTicker(symbol: string): Ticker | null {
    const c = this.bySymbol.get(symbol);
    const candle = c?.lastCandle ?? null;
    if (c === undefined || candle === null) return null;
    return {
      symbol,
      last: candle.close,
      mark: c.lastMark === null ? null : this.markAtClose(c.lastMark, candle),
      timestamp: candle.timestamp + this.candleStepMs,
    };
  }

  private paced(): boolean {
    return this.speed > 0 && Number.isFinite(this.speed);
  }

  /** The mark candle whose period contains `openMs`, or null (no mark data there). */
  private markFor(c: Cursor, openMs: number): MarkCandle | null {
    const marks = c.marks;
    let i = c.markIndex;
    while (i + 1 < marks.length && marks[i + 1]!.timestamp <= openMs) i++;
    c.markIndex = i;
    const mark = marks[i];
    return mark !== undefined && mark.timestamp <= openMs && openMs < mark.timestamp + this.markStepMs ? mark : null;
  }

  /**
   * Mark price at the candle's close. Exact when the candle closes the mark period;
   * inside the period the hourly file does not say, so the trade close bounded by the
   * period's mark range stands in (no invented path).
   */
  private markAtClose(mark: MarkCandle, candle: Candle): number {
    if (candle.timestamp + this.candleStepMs >= mark.timestamp + this.markStepMs) return mark.close;
    return Math.min(mark.high, Math.max(mark.low, candle.close));
  }

  private pause(ms: number): Promise<void> {
    if (this.sleeper === null || ms <= 0) return Promise.resolve();
    return this.sleeper.sleep(ms);
  }
}

/** Index of the first candle opened strictly after `afterMs` (binary search). */
export function firstIndexAfter(candles: readonly Candle[], afterMs: number): number {
  let lo = 0;
  let hi = candles.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (candles[mid]!.timestamp <= afterMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
