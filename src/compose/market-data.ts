/**
 * Step "wire market data": which source feeds the engine (live Binance data or replayed
 * files), the signal warm-up, and on paper + live data the venue following the tickers.
 * The replay warm-up is shared with the backtest, so both start trading at the same candle.
 */
import { retryStartup } from '../adapters/binance/startup-retry.js';
import { bundledDataDir, loadMarketHistory, type SymbolHistory } from '../adapters/data/index.js';
import { LiveMarketData } from '../adapters/market-data/live.js';
import { ReplayMarketData } from '../adapters/market-data/replay.js';
import type { PaperExchange } from '../adapters/paper/paper-exchange.js';
import type { Config } from '../config.js';
import type { LaneScheduler } from '../engine/execution/scheduler.js';
import { FEATURE_WARMUP_CANDLES } from '../engine/features.js';
import { CANDLE_CONTEXT_WARMUP } from '../engine/learning/features.js';
import type { Clock, Logger, MarketData } from '../engine/ports.js';
import type { Trader } from '../engine/trader.js';
import type { Candle } from '../engine/types.js';

export type Source = 'replay' | 'live';

export interface SourceChoice {
  readonly source: Source;
  /** MARKET_DATA=auto found live data unreachable and fell back to the replay. */
  readonly fallback: boolean;
}

/** MARKET_DATA → the source; `auto` on paper probes Binance's public data first. */
export async function chooseSource(
  config: Config,
  deps: { readonly scheduler: LaneScheduler; readonly logger: Logger },
): Promise<SourceChoice> {
  if (config.tradingMode === 'paper' && config.marketData === 'auto') {
    const reachable = await LiveMarketData.probe({
      apiBase: config.exchange.apiBase,
      testnet: config.exchange.testnet,
      timeoutMs: 3000,
      logger: deps.logger,
      scheduler: deps.scheduler,
    }).catch(() => false);
    return { source: reachable ? 'live' : 'replay', fallback: !reachable };
  }
  return { source: config.marketData === 'replay' ? 'replay' : 'live', fallback: false };
}

/**
 * Candles fed before the engine decides, at every start and restart: the rule features need
 * 110, the model's features (24 h returns and ranges) 289, so a restarted bot scores signals
 * right away instead of ~15 h later. 300 = one klines request of weight 2 (limit < 500).
 */
export const ENGINE_WARMUP_CANDLES = Math.max(300, FEATURE_WARMUP_CANDLES + 10, CANDLE_CONTEXT_WARMUP + 10);

export const dataDirOf = (config: Config): string => config.dataDir ?? bundledDataDir();

/** The replay's history (candle files validated first); its warnings are logged. */
export async function loadReplayHistory(config: Config, logger: Logger): Promise<Map<string, SymbolHistory>> {
  const history = await loadMarketHistory(dataDirOf(config), config.symbols);
  const log = logger.child('main');
  for (const h of history.values()) for (const warning of h.warnings) log.warn(warning);
  return history;
}

/**
 * Warms the signal generators and the learner (ENGINE_WARMUP_CANDLES) on replayed history and returns, per symbol, the open time of
 * the last candle the replay must skip. A fresh start warms on the data's first candles
 * (which the replay then skips); a resume warms on the candles before its resume point.
 */
export function warmUpOnHistory(
  trader: Trader,
  symbols: readonly string[],
  history: ReadonlyMap<string, SymbolHistory>,
  lastCandleAt: Readonly<Record<string, number>>,
): Record<string, number> {
  const startAfter: Record<string, number> = {};
  for (const symbol of symbols) {
    const candles = history.get(symbol)?.candles ?? [];
    const resumeAfter = lastCandleAt[symbol];
    if (resumeAfter !== undefined) {
      const end = candles.findIndex((c) => c.timestamp > resumeAfter);
      const stop = end === -1 ? candles.length : end;
      trader.warmUp(symbol, candles.slice(Math.max(0, stop - ENGINE_WARMUP_CANDLES), stop));
      startAfter[symbol] = resumeAfter;
      continue;
    }
    const warmUp = candles.slice(0, ENGINE_WARMUP_CANDLES);
    trader.warmUp(symbol, warmUp);
    const lastWarm = warmUp.at(-1);
    if (lastWarm !== undefined) startAfter[symbol] = lastWarm.timestamp;
  }
  return startAfter;
}

export interface WiredMarketData {
  readonly marketData: MarketData;
  /** Stops what this step started besides the source itself (the paper ticker feed). */
  stop(): void;
}

/** Builds the source, warms the trader up on it, and on paper + live data feeds the venue the live tickers. */
export async function wireMarketData(
  config: Config,
  deps: {
    readonly history: ReadonlyMap<string, SymbolHistory> | null;
    readonly trader: Trader;
    readonly paper: PaperExchange | null;
    readonly lastCandleAt: Readonly<Record<string, number>>;
    readonly scheduler: LaneScheduler;
    readonly wallClock: Clock;
    readonly logger: Logger;
  },
): Promise<WiredMarketData> {
  const { history, trader, wallClock } = deps;
  if (history !== null) {
    const startAfter = warmUpOnHistory(trader, config.symbols, history, deps.lastCandleAt);
    return {
      marketData: new ReplayMarketData({ data: [...history.values()], speed: config.replaySpeed, clock: wallClock, startAfter }),
      stop: () => undefined,
    };
  }
  const live = new LiveMarketData({
    symbols: config.symbols,
    scheduler: deps.scheduler,
    clock: wallClock,
    logger: deps.logger,
    apiBase: config.exchange.apiBase,
    testnet: config.exchange.testnet,
  });
  for (const symbol of config.symbols) {
    const warmUp = (): Promise<Candle[]> => live.history(symbol, ENGINE_WARMUP_CANDLES, wallClock.now());
    trader.warmUp(symbol, await retryStartup(`warm-up candles of ${symbol}`, warmUp, { clock: wallClock, logger: deps.logger }));
  }
  deps.logger.child('main').info(`signals warmed up on live candles of ${config.symbols.join(', ')}; trading on each closed 5m candle`);
  const paper = deps.paper;
  if (paper === null) return { marketData: live, stop: () => undefined };
  // Paper on live data: the venue follows the live tickers every second.
  let cancelFeed: (() => void) | null = null;
  let stopped = false;
  const feedPaper = (): void => {
    if (stopped) return;
    for (const symbol of config.symbols) {
      const ticker = live.lastTicker(symbol);
      if (ticker !== null) paper.onTicker(symbol, ticker.last, ticker.mark, Math.max(ticker.timestamp, wallClock.now()));
    }
    cancelFeed = wallClock.setTimer(1000, feedPaper);
  };
  feedPaper();
  return {
    marketData: live,
    stop: () => {
      stopped = true;
      cancelFeed?.();
    },
  };
}
