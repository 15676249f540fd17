/**
 * Live market data: public Binance USDⓈ-M REST (no keys) through the same lazily loaded
 * ccxt `binanceusdm` client and the execution lanes (lane 3, market data).
 *
 * Closed 5m candles: shortly after each 5m boundary (`pollDelayMs`) every symbol's last
 * two klines are read; the closed candle is the one whose close time has passed. A
 * symbol that fell behind (a missed poll) is caught up from its last emitted candle, so
 * batches stay in time order with no gap. Tickers (last from /fapi/v1/ticker/price, mark
 * from /fapi/v1/premiumIndex) are refreshed at each poll and every `tickerIntervalMs`.
 *
 * Idempotent: a candle already seen (same open time, including the warm-up's last one) or
 * older is dropped with a debug line, never fed twice (a reply that lands just after a
 * boundary, a retry, a slow or stale reply all happen on real Binance). Nothing in market
 * data ends `run()` except `stop()`: a failed poll or a failing handler is logged and the
 * next candle is awaited as usual.
 */
import { BreakerOpenError, RetryableExchangeError, describeError } from '../../errors.js';
import { costOf } from '../../engine/execution/weights.js';
import type { RequestScheduler, RequestSpec } from '../../engine/execution/types.js';
import type { ClosedCandle, Clock, Logger, MarketData } from '../../engine/ports.js';
import { CANDLE_MS, type Candle, type Ticker } from '../../engine/types.js';
import { lazyBinanceClient, type BinanceClient } from '../binance/client.js';
import { CancellableSleep } from '../clock.js';
import { asArray, asRecord, num, parseKlines } from '../binance/parse.js';

/** Binance's largest kline page. */
export const MAX_KLINES_PER_REQUEST = 1500;

export interface LiveMarketDataOptions {
  /** Binance ids, e.g. BTCUSDT. */
  readonly symbols: readonly string[];
  readonly scheduler: RequestScheduler;
  readonly clock: Clock;
  readonly logger: Logger;
  /** EXCHANGE_API_BASE origin, or null for Binance itself. */
  readonly apiBase: string | null;
  /** Binance demo trading's market data (EXCHANGE_TESTNET). */
  readonly testnet?: boolean;
  /** ccxt per-request timeout, ms (default 10 s). */
  readonly timeoutMs?: number;
  /** How long after a 5m boundary to poll (default 2 s: Binance closes the candle at the boundary). */
  readonly pollDelayMs?: number;
  /** Retries of a poll that found no newly closed candle yet, `retryDelayMs` apart (default 3 × 2 s). */
  readonly pollRetries?: number;
  readonly retryDelayMs?: number;
  /** Ticker refresh period while running; 0 = only at each poll (default 5 s, the lanes' cache TTL). */
  readonly tickerIntervalMs?: number;
  /** Observer of every URL fetched (tests). */
  readonly onRequest?: (method: string, url: string) => void;
}

export interface ProbeOptions {
  readonly apiBase: string | null;
  readonly testnet?: boolean;
  /** The whole probe's budget, ms (default 3 s). */
  readonly timeoutMs?: number;
  readonly logger: Logger;
  /** Lanes to budget the single request with; sent directly when absent. */
  readonly scheduler?: RequestScheduler;
  readonly onRequest?: (method: string, url: string) => void;
}

export class LiveMarketData implements MarketData {
  readonly source = 'live' as const;
  /** ccxt is loaded on first use, never in the constructor. */
  private readonly client: () => Promise<BinanceClient>;
  private readonly tickers = new Map<string, Ticker>();
  /** Open time of the last candle emitted per symbol. */
  private readonly lastEmitted = new Map<string, number>();
  /** Open time of the newest candle handed out by `history()` (the warm-up) per symbol. */
  private readonly warmedUntil = new Map<string, number>();
  /** Candles dropped as already seen or older (stats, tests). */
  private droppedCount = 0;
  private readonly logger: Logger;
  private stopped = false;
  private cancelTickerTimer: (() => void) | null = null;
  private readonly sleeper: CancellableSleep;

  constructor(private readonly options: LiveMarketDataOptions) {
    this.logger = options.logger.child('market-data');
    this.sleeper = new CancellableSleep(options.clock);
    const { testnet, apiBase, scheduler, timeoutMs, onRequest } = options;
    this.client = lazyBinanceClient({
      apiKey: null,
      secret: null,
      testnet: testnet ?? false,
      apiBase,
      scheduler,
      logger: this.logger,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(onRequest === undefined ? {} : { onRequest }),
    });
  }

  /** True when Binance's futures API (or EXCHANGE_API_BASE) answers within the timeout (MARKET_DATA=auto). */
  /**
   * True when Binance's futures API (or EXCHANGE_API_BASE) answers GET /fapi/v1/time within
   * the timeout (MARKET_DATA=auto). A plain fetch, not ccxt: paper trading on replay data
   * must not pay ccxt's ~95 MB just to find out that the network is not there.
   */
  static async probe(options: ProbeOptions): Promise<boolean> {
    const timeoutMs = options.timeoutMs ?? 3_000;
    const origin = options.apiBase ?? (options.testnet === true ? 'https://demo-fapi.binance.com' : 'https://fapi.binance.com');
    const url = `${origin}/fapi/v1/time`;
    const send = async (): Promise<boolean> => {
      options.onRequest?.('GET', url);
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      const body: unknown = await response.json();
      return response.ok && num(asRecord(body)['serverTime']) !== null;
    };
    try {
      const scheduler = options.scheduler;
      return scheduler === undefined
        ? await send()
        : await scheduler.submit({ priority: 3, endpoint: 'GET /fapi/v1/time', weight: 1, orders: 0, run: send });
    } catch (error) {
      options.logger.warn('live market data unreachable', { error: describeError(error) });
      return false;
    }
  }

  private async klines(params: Record<string, string | number>): Promise<ReturnType<typeof parseKlines>> {
    const client = await this.client();
    const response = await client.call({ priority: 3, endpoint: 'GET /fapi/v1/klines', params }, (ex) => ex.fapiPublicGetKlines(params));
    return parseKlines(response);
  }

  /** Warm-up: at most `count` closed candles (oldest first) that closed by `beforeMs`, paged by 1500. */
  async history(symbol: string, count: number, beforeMs: number): Promise<Candle[]> {
    const wanted = Math.max(0, Math.floor(count));
    const closedBy = Math.min(beforeMs, this.options.clock.now());
    const out: Candle[] = [];
    let endOpen = Math.floor(closedBy / CANDLE_MS) * CANDLE_MS - CANDLE_MS;
    const maxPages = Math.ceil(wanted / MAX_KLINES_PER_REQUEST) + 1;
    for (let page = 0; page < maxPages && out.length < wanted; page++) {
      const limit = Math.min(MAX_KLINES_PER_REQUEST, wanted - out.length);
      const rows = await this.klines({ symbol, interval: '5m', endTime: endOpen, limit });
      const closed = rows.filter((k) => k.closeTime < closedBy && k.candle.timestamp <= endOpen).map((k) => k.candle);
      if (closed.length === 0) break;
      out.unshift(...closed);
      endOpen = (closed[0]?.timestamp ?? endOpen) - CANDLE_MS;
    }
    const result = out.slice(-wanted);
    const newest = result.at(-1)?.timestamp;
    if (newest !== undefined && newest > (this.warmedUntil.get(symbol) ?? -Infinity)) this.warmedUntil.set(symbol, newest);
    return result;
  }

  /** How many candles were dropped as already seen or older. */
  droppedCandles(): number {
    return this.droppedCount;
  }

  /** The open time up to which a symbol's candles were already handed out (emitted or warm-up). */
  private seenUntil(symbol: string): number {
    return Math.max(this.lastEmitted.get(symbol) ?? -Infinity, this.warmedUntil.get(symbol) ?? -Infinity);
  }

  /** The last refreshed ticker of a symbol, or null before the first refresh. */
  lastTicker(symbol: string): Ticker | null {
    return this.tickers.get(symbol) ?? null;
  }

  /**
   * The lanes' ticker request for one symbol (last + mark, weight 2 on lane 3), for
   * `RequestScheduler.submitTicker` and its 5 s cache.
   */
  tickerSpec(symbol: string): RequestSpec<Ticker> {
    const weight = costOf('GET /fapi/v1/ticker/price', { symbol }).weight + costOf('GET /fapi/v1/premiumIndex', { symbol }).weight;
    return {
      priority: 3,
      endpoint: 'GET /fapi/v1/premiumIndex',
      weight,
      orders: 0,
      run: async () => {
        const client = await this.client();
        const params = { symbol };
        // Inside a spec the scheduler already holds this request's slot: run directly.
        const [price, premium] = await Promise.all([
          client.spec({ priority: 3, endpoint: 'GET /fapi/v1/ticker/price', params }, (ex) => ex.fapiPublicGetTickerPrice(params)).run(),
          client.spec({ priority: 3, endpoint: 'GET /fapi/v1/premiumIndex', params }, (ex) => ex.fapiPublicGetPremiumIndex(params)).run(),
        ]);
        const ticker = toTicker(symbol, asRecord(price), asRecord(premium), this.options.clock.now());
        this.tickers.set(symbol, ticker);
        return ticker;
      },
    };
  }

  /** Refreshes every symbol's ticker: one ticker/price for all (weight 2) + premiumIndex per symbol (1 each). */
  async refreshTickers(): Promise<void> {
    const client = await this.client();
    const { symbols } = this.options;
    const prices = await client.call({ priority: 3, endpoint: 'GET /fapi/v1/ticker/price' }, (ex) => ex.fapiPublicGetTickerPrice());
    const priceBySymbol = new Map(asArray(prices).map((row) => [String(asRecord(row)['symbol']), asRecord(row)]));
    const premiums = await Promise.all(
      symbols.map((symbol) =>
        client
          .call({ priority: 3, endpoint: 'GET /fapi/v1/premiumIndex', params: { symbol } }, (ex) =>
            ex.fapiPublicGetPremiumIndex({ symbol }),
          )
          .catch((error: unknown) => {
            this.logger.debug('mark price refresh failed', { symbol, error: describeError(error) });
            return null;
          }),
      ),
    );
    const now = this.options.clock.now();
    symbols.forEach((symbol, index) => {
      const price = priceBySymbol.get(symbol);
      if (price === undefined) return;
      this.tickers.set(symbol, toTicker(symbol, price, asRecord(premiums[index]), now));
    });
  }

  /** Candles of `symbol` that closed by now and were not emitted yet (catching up after a gap). */
  private async newlyClosed(symbol: string, now: number): Promise<Candle[]> {
    // After a warm-up, the first poll continues from its last candle (no gap, no repeat).
    const seen = this.seenUntil(symbol);
    const last = Number.isFinite(seen) ? seen : undefined;
    const currentOpen = Math.floor(now / CANDLE_MS) * CANDLE_MS;
    const missing = last === undefined ? 1 : Math.round((currentOpen - last) / CANDLE_MS) - 1;
    const params: Record<string, string | number> =
      last !== undefined && missing > 1
        ? { symbol, interval: '5m', startTime: last + CANDLE_MS, limit: Math.min(MAX_KLINES_PER_REQUEST, missing + 1) }
        : { symbol, interval: '5m', limit: 2 };
    if (last !== undefined && missing > 1) this.logger.warn('catching up missed candles', { symbol, missing });
    const rows = await this.klines(params);
    const closed = rows.filter((k) => k.closeTime < now && (last === undefined || k.candle.timestamp > last)).map((k) => k.candle);
    // First poll: only the latest closed candle; history() is the warm-up.
    return last === undefined ? closed.slice(-1) : closed;
  }

  /** One poll of every symbol; returns batches grouped by open time, oldest first. */
  private async poll(): Promise<ClosedCandle[][]> {
    const now = this.options.clock.now();
    const results = await Promise.all(
      this.options.symbols.map(async (symbol) => {
        try {
          return { symbol, candles: await this.newlyClosed(symbol, now) };
        } catch (error) {
          const level = error instanceof BreakerOpenError ? 'info' : 'warn';
          this.logger[level]('kline poll failed', { symbol, error: describeError(error) });
          return { symbol, candles: [] as Candle[] };
        }
      }),
    );
    const byOpen = new Map<number, ClosedCandle[]>();
    for (const { symbol, candles } of results) {
      for (const candle of candles) {
        const batch = byOpen.get(candle.timestamp) ?? [];
        batch.push({ symbol, candle, mark: null });
        byOpen.set(candle.timestamp, batch);
      }
    }
    return [...byOpen.entries()].sort((a, b) => a[0] - b[0]).map(([, batch]) => batch);
  }

  private scheduleTickers(): void {
    const every = this.options.tickerIntervalMs ?? 5_000;
    if (every <= 0 || this.stopped) return;
    this.cancelTickerTimer = this.options.clock.setTimer(every, () => {
      this.cancelTickerTimer = null;
      this.refreshTickers()
        .catch((error: unknown) => this.logger.debug('ticker refresh failed', { error: describeError(error) }))
        .finally(() => this.scheduleTickers());
    });
  }

  async run(onClose: (batch: readonly ClosedCandle[]) => Promise<void> | void): Promise<void> {
    this.stopped = false;
    const pollDelayMs = this.options.pollDelayMs ?? 2_000;
    const retries = this.options.pollRetries ?? 3;
    const retryDelayMs = this.options.retryDelayMs ?? 2_000;
    this.scheduleTickers();
    try {
      while (!this.stopped) {
        const now = this.options.clock.now();
        const nextPoll = Math.floor((now - pollDelayMs) / CANDLE_MS) * CANDLE_MS + CANDLE_MS + pollDelayMs;
        await this.sleeper.sleep(nextPoll - now);
        if (this.stopped) break;
        let batches: ClosedCandle[][] = [];
        for (let attempt = 0; attempt <= retries && !this.stopped; attempt++) {
          batches = await this.poll();
          const expectedOpen = Math.floor(this.options.clock.now() / CANDLE_MS) * CANDLE_MS - CANDLE_MS;
          const complete = this.options.symbols.every((s) => (this.lastEmittedAfter(s, batches) ?? -1) >= expectedOpen);
          if (complete || attempt === retries) break;
          // Not closed on Binance's side yet (or a symbol failed): emit what we have, look again.
          await this.emit(batches, onClose);
          batches = [];
          await this.sleeper.sleep(retryDelayMs);
        }
        await this.emit(batches, onClose);
        void this.refreshTickers().catch((error: unknown) => this.logger.debug('ticker refresh failed', { error: describeError(error) }));
      }
    } finally {
      this.cancelTickerTimer?.();
      this.cancelTickerTimer = null;
    }
  }

  private lastEmittedAfter(symbol: string, batches: readonly ClosedCandle[][]): number | undefined {
    const seen = this.seenUntil(symbol);
    let last = Number.isFinite(seen) ? seen : undefined;
    for (const batch of batches) {
      for (const item of batch) if (item.symbol === symbol) last = Math.max(last ?? -Infinity, item.candle.timestamp);
    }
    return last;
  }

  private async emit(batches: readonly ClosedCandle[][], onClose: (batch: readonly ClosedCandle[]) => Promise<void> | void): Promise<void> {
    for (const batch of batches) {
      if (this.stopped) return;
      const fresh: ClosedCandle[] = [];
      for (const item of batch) {
        const seen = this.seenUntil(item.symbol);
        if (item.candle.timestamp <= seen) {
          this.droppedCount++;
          this.logger.debug('candle already seen or older; dropped', {
            symbol: item.symbol,
            openTime: new Date(item.candle.timestamp).toISOString(),
            seenUntil: Number.isFinite(seen) ? new Date(seen).toISOString() : null,
          });
          continue;
        }
        fresh.push(item);
        this.lastEmitted.set(item.symbol, item.candle.timestamp);
      }
      if (fresh.length === 0) continue;
      try {
        await onClose(fresh);
      } catch (error) {
        // The engine failed on this batch: say so loudly, keep the candles flowing (positions
        // are managed by the position loop, not by this one). Only stop() ends run().
        this.logger.error('candle handler failed; waiting for the next candle', {
          openTime: new Date(fresh[0]?.candle.timestamp ?? 0).toISOString(),
          symbols: fresh.map((c) => c.symbol),
          error: describeError(error),
        });
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.sleeper.cancel();
    this.cancelTickerTimer?.();
    this.cancelTickerTimer = null;
  }
}

function toTicker(symbol: string, price: Record<string, unknown>, premium: Record<string, unknown>, nowMs: number): Ticker {
  const last = num(price['price']);
  if (last === null) throw new RetryableExchangeError(`Binance ticker/price for ${symbol} carried no price`);
  return {
    symbol,
    last,
    mark: num(premium['markPrice']),
    timestamp: num(price['time']) ?? nowMs,
  };
}
