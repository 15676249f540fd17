/**
 * Builds and runs the bot from a validated Config: the composition root's body
 * (ARCHITECTURE: `src/main.ts` owns the process, this file wires the concrete classes).
 *
 * Three compositions, one engine:
 *   paper + replay        PaperExchange on bundled/given data, ManualClock = market time,
 *                         the controller evaluates at every candle close (replay-loop.ts)
 *   paper + live data     PaperExchange fed with live Binance tickers, LiveMarketData (lane 3),
 *                         the controller ticks every POSITION_CHECK_INTERVAL_MS on the wall clock
 *   live                  BinanceExchange (ccxt, lazily loaded) through the execution lanes
 * State goes to the store (STORE_URL), is reconciled with the exchange at start, and one
 * trader per account holds the store's lease (a second instance stands by).
 */
import { ManualClock, SystemClock } from './adapters/clock.js';
import { bundledDataDir, loadExchangeRules, loadMarketHistory } from './adapters/data/index.js';
import type { SymbolHistory } from './adapters/data/index.js';
import { BinanceExchange } from './adapters/binance/exchange.js';
import { LiveMarketData } from './adapters/market-data/live.js';
import { ReplayMarketData } from './adapters/market-data/replay.js';
import { PaperExchange } from './adapters/paper/paper-exchange.js';
import type { PaperState } from './adapters/paper/types.js';
import { redactUrl, type Config } from './config.js';
import { LeaseKeeper, acquireLease, type TraderLease } from './db/lease.js';
import { openStore } from './db/store.js';
import { Control } from './engine/control.js';
import { LaneScheduler } from './engine/execution/scheduler.js';
import { FEATURE_WARMUP_CANDLES } from './engine/features.js';
import { defaultPipelineConfig, type PipelineConfig } from './engine/pipeline.js';
import type { Clock, EngineSnapshot, Exchange, Logger, MarketData, Store } from './engine/ports.js';
import { PositionController } from './engine/position-controller.js';
import { replayStep } from './engine/replay-loop.js';
import { Trader, defaultTraderConfig, type TraderConfig, type TraderEvent } from './engine/trader.js';
import { TradingState } from './engine/trading-state.js';
import { CANDLE_MS, type FundingEvent, type SymbolRules } from './engine/types.js';
import { describeError } from './errors.js';

const RULES_REFRESH_MS = 24 * 3_600_000;
const BATCH_PERSIST_MS = 2_000;

/** How trading ended by itself: `exitCode` null means "stay up" (e.g. the replay data ended). */
export interface Finished {
  readonly reason: string;
  readonly exitCode: number | null;
}

export interface RunningBot {
  /** The Control facade once trading runs (null while standing by for the lease). */
  readonly control: Control | null;
  readonly finished: Promise<Finished>;
  stop(reason: string): Promise<void>;
}

export function pipelineConfigFrom(config: Config): PipelineConfig {
  return {
    ...defaultPipelineConfig,
    maxLeverage: config.maxLeverage,
    rulesMaxLeverage: config.rulesMaxLeverage,
    maxOpenPositions: config.maxOpenPositions,
    liquidationBufferRate: config.liquidationBufferRate,
    minWinProbability: config.minWinProbability,
    minConfidence: config.minConfidence,
    minRrRatio: config.minRrRatio,
    takerFeeRate: config.paper.takerFeeRate,
    gradeSSizeMultiplier: config.gradeSSizeMultiplier,
  };
}

export function traderConfigFrom(config: Config): TraderConfig {
  return {
    ...defaultTraderConfig(config.symbols, pipelineConfigFrom(config)),
    positionControlMode: config.positionControlMode,
    explorationRate: config.explorationRate,
    timeStopMs: config.timeStopHours * 3_600_000,
    balanceRefreshMs: config.balanceRefreshMs,
    unknownPositions: config.unknownPositions,
  };
}

/** Market time of an event (replay time in a replay), to the minute. */
function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/** One readable line per entry and exit (the operator's trade log). */
export function describeEvent(event: TraderEvent): string | null {
  switch (event.kind) {
    case 'entry': {
      const p = event.position;
      return `ENTRY ${p.side.toUpperCase()} ${p.symbol} size ${p.size} @ ${p.entryPrice} · ${p.leverage}x · SL ${p.slPrice} · TP ${p.tpPrice} · liq ${p.liquidationPrice.toFixed(2)} · p(win) ${p.winProbability.toFixed(3)} conf ${p.confidence.toFixed(2)}${p.exploration ? ' · exploration' : ''} · at ${isoMinute(p.openedAt)}`;
    }
    case 'exit': {
      const t = event.trade;
      return `EXIT  ${t.side.toUpperCase()} ${t.symbol} @ ${t.exitPrice} (${t.exitReason}) · P&L ${t.pnlUsdt >= 0 ? '+' : ''}${t.pnlUsdt.toFixed(2)} USDT · fees ${t.feesUsdt.toFixed(2)} · funding ${t.fundingUsdt.toFixed(2)}${t.liquidated ? ' · LIQUIDATED' : ''} · at ${isoMinute(t.closedAt)}`;
    }
    case 'warning':
    case 'refused':
      return null;
  }
}

type Source = 'replay' | 'live';

/** Starts the bot; resolves once it trades or stands by for the lease. */
export async function startBot(config: Config, logger: Logger): Promise<RunningBot> {
  const log = logger.child('main');
  const wallClock = new SystemClock();
  // One scheduler owns every Binance request of this process (market data and orders).
  const scheduler = new LaneScheduler({ clock: wallClock, logger });

  // ── market data source ─────────────────────────────────────────────────
  let source: Source = config.marketData === 'replay' ? 'replay' : 'live';
  let fallback = false;
  if (config.tradingMode === 'paper' && config.marketData === 'auto') {
    const reachable = await LiveMarketData.probe({
      apiBase: config.exchange.apiBase,
      testnet: config.exchange.testnet,
      timeoutMs: 3000,
      logger,
      scheduler,
    }).catch(() => false);
    source = reachable ? 'live' : 'replay';
    fallback = !reachable;
  }

  // ── data (candle files validated first) and exchange rules ─────────────
  const dataDir = config.dataDir ?? bundledDataDir();
  let history: Map<string, SymbolHistory> | null = null;
  if (source === 'replay') {
    history = await loadMarketHistory(dataDir, config.symbols);
    for (const h of history.values()) for (const warning of h.warnings) log.warn(warning);
  }
  // Paper trading uses the data's filters and brackets (labelled so in its PROVENANCE);
  // live trading reads the exchange's own at start (and daily).
  const fileRules = config.tradingMode === 'paper' ? loadExchangeRules(dataDir, config.symbols) : null;

  const span =
    history === null
      ? 'live Binance USDT-M public data'
      : (() => {
          const all = [...history.values()];
          const first = Math.min(...all.map((h) => h.candles[0]?.timestamp ?? Infinity));
          const last = Math.max(...all.map((h) => h.candles.at(-1)?.timestamp ?? -Infinity));
          return `${new Date(first).toISOString()} → ${new Date(last + CANDLE_MS).toISOString()} at ${config.replaySpeed === 0 ? 'full' : `${config.replaySpeed}×`} speed`;
        })();
  const banner = [
    '════════════════════════════════════════════════════════════',
    ` SelfLearningTrader · trading mode: ${config.tradingMode.toUpperCase()}${config.tradingMode === 'live' ? (config.exchange.testnet ? ' (Binance demo trading)' : ' (REAL ORDERS)') : ''}`,
    ` market data: ${source}${fallback ? ' (FALLBACK: live Binance data unreachable, replaying bundled data)' : ''}${source === 'replay' ? ` · ${dataDir}` : ''}`,
    ` ${source === 'replay' ? 'replay span' : 'source'}: ${span}`,
    ` symbols: ${config.symbols.join(', ')} · strategy: ${config.strategyMode} · store: ${redactUrl(config.storeUrl)}`,
    // Neither transport is built yet (README "Status"): say so rather than pretend.
    ` control: ${config.discord.token === null ? 'none yet (the console arrives with the Discord issue)' : 'DISCORD_TOKEN is set, but Discord control is not built in this version'}`,
    '════════════════════════════════════════════════════════════',
  ];
  const loud = fallback || config.tradingMode === 'live';
  for (const line of banner) (loud ? log.warn : log.info).call(log, line);

  // ── store and lease ────────────────────────────────────────────────────
  const store = await openStore(config.storeUrl, { logger, clock: wallClock });
  const abort = new AbortController();
  let finish: (finished: Finished) => void = () => undefined;
  const finished = new Promise<Finished>((resolve) => (finish = resolve));
  let stopRequested = false;
  let running: RunningTrading | null = null;
  const started = (async () => {
    const lease = await acquireLease(config.storeUrl, { logger, clock: wallClock, ttlMs: config.leaseTtlMs, signal: abort.signal });
    if (lease === null) return;
    if (stopRequested) {
      await lease.release();
      return;
    }
    try {
      running = await startTrading({ config, logger, store, history, fileRules, source, fallback, lease, wallClock, scheduler, finish });
    } catch (error) {
      // Give the lease back at once: a new container (another host) would otherwise wait out the TTL.
      await lease.release();
      throw error;
    }
  })().catch((error: unknown) => {
    log.error(`trading could not start: ${describeError(error)}`);
    finish({ reason: `trading could not start: ${describeError(error)}`, exitCode: 1 });
  });

  return {
    get control() {
      return (running as RunningTrading | null)?.control ?? null;
    },
    finished,
    async stop(reason: string) {
      stopRequested = true;
      abort.abort();
      await Promise.race([started, wallClock.sleep(5000)]);
      const current = running as RunningTrading | null;
      if (current !== null) await current.stop();
      scheduler.stop(`shutdown (${reason})`);
      await store.close();
      log.info(`bot stopped (${reason})`);
    },
  };
}

interface RunningTrading {
  readonly control: Control;
  stop(): Promise<void>;
}

interface TradingDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly history: Map<string, SymbolHistory> | null;
  readonly fileRules: Map<string, SymbolRules> | null;
  readonly source: Source;
  readonly fallback: boolean;
  readonly lease: TraderLease;
  readonly wallClock: Clock;
  readonly scheduler: LaneScheduler;
  readonly finish: (finished: Finished) => void;
}

async function startTrading(deps: TradingDeps): Promise<RunningTrading> {
  const { config, logger, store, history, wallClock, scheduler, source } = deps;
  const log = logger.child('main');
  const snapshot = await store.loadSnapshot();
  // Replay runs on market time (set at each candle); live data on the wall clock.
  const manualClock = source === 'replay' ? new ManualClock(snapshot?.savedAt ?? 0) : null;
  const engineClock: Clock = manualClock ?? wallClock;

  // ── the venue ──────────────────────────────────────────────────────────
  let paper: PaperExchange | null = null;
  let exchange: Exchange;
  let rules: Map<string, SymbolRules>;
  let cancelRulesRefresh: (() => void) | null = null;
  if (config.tradingMode === 'paper') {
    rules = deps.fileRules ?? new Map();
    const funding = new Map<string, readonly FundingEvent[]>();
    if (history !== null) for (const h of history.values()) if (h.funding !== null) funding.set(h.symbol, h.funding);
    const paperOptions = {
      rules,
      clock: engineClock,
      logger,
      takerFeeRate: config.paper.takerFeeRate,
      makerFeeRate: config.paper.makerFeeRate,
      slippageRate: config.paper.slippageRate,
      fundingRateFallback: config.paper.fundingRateFallback,
      funding,
      // Kept small: the venue is saved with every engine snapshot.
      orderHistoryLimit: 500,
    };
    paper =
      snapshot?.venue !== null && snapshot?.venue !== undefined
        ? PaperExchange.fromJSON(snapshot.venue as PaperState, paperOptions)
        : new PaperExchange({ ...paperOptions, startingBalanceUsdt: config.paper.startingBalanceUsdt });
    exchange = paper;
  } else {
    const binance = new BinanceExchange({
      apiKey: config.exchange.apiKey ?? '',
      secret: config.exchange.apiSecret ?? '',
      testnet: config.exchange.testnet,
      apiBase: config.exchange.apiBase,
      scheduler,
      clock: wallClock,
      logger,
      symbols: config.symbols,
    });
    rules = await binance.loadRules(config.symbols);
    for (const symbol of config.symbols) {
      if (!rules.has(symbol)) throw new Error(`${symbol} is not a tradable USDT-M perpetual on this exchange`);
      try {
        await binance.setIsolatedMargin(symbol);
      } catch (error) {
        // Binance refuses (-4048) while a position is open in cross margin: manage it as it is.
        log.warn(`could not set isolated margin on ${symbol} (${describeError(error)}); an open position keeps its margin type`);
      }
    }
    exchange = binance;
    // Filters and leverage brackets change from time to time: refresh them daily in place
    // (the Trader reads this same map).
    const refreshRules = (): void => {
      cancelRulesRefresh = wallClock.setTimer(RULES_REFRESH_MS, () => {
        binance
          .loadRules(config.symbols)
          .then((fresh) => {
            for (const [symbol, symbolRules] of fresh) rules.set(symbol, symbolRules);
            log.info('exchange filters and leverage brackets refreshed', { symbols: fresh.size });
          })
          .catch((error: unknown) => log.warn(`could not refresh the exchange rules (keeping yesterday's): ${describeError(error)}`))
          .finally(refreshRules);
      });
    };
    refreshRules();
  }
  const venue = paper;
  const lastCandleAt: Record<string, number> = { ...(snapshot?.lastCandleAt ?? {}) };

  // ── the engine ─────────────────────────────────────────────────────────
  const persist = async (): Promise<void> => {
    const doc: EngineSnapshot = {
      version: 1,
      savedAt: engineClock.now(),
      ...trader.exportState(),
      lastCandleAt: { ...lastCandleAt },
      venue: venue?.toJSON() ?? null,
    };
    await store.saveSnapshot(doc);
    lastPersistAt = wallClock.now();
  };
  // Every order and every closed trade persists at once (persist before acting); a batch
  // that changed nothing else only moves the replay position and the venue's prices, so it
  // is saved at most every BATCH_PERSIST_MS. After a crash the replay resumes from the last
  // save and replays those candles deterministically.
  let lastPersistAt = 0;
  const persistBatch = async (): Promise<void> => {
    if (wallClock.now() - lastPersistAt >= BATCH_PERSIST_MS) await persist();
  };
  const tradeLog = logger.child('trades');
  const trader: Trader = new Trader(
    traderConfigFrom(config),
    {
      exchange,
      clock: engineClock,
      logger,
      rules,
      persist,
      recordTrade: (trade) => store.putTrade(trade),
      onEvent: (event) => {
        const line = describeEvent(event);
        if (line !== null) tradeLog.info(line);
      },
    },
    config.strategyMode,
  );
  if (snapshot !== null) {
    trader.restoreState(snapshot);
    log.info('state restored', { positions: snapshot.positions.length, pendingOrders: snapshot.pendingOrders.length, paused: snapshot.state.paused });
  }
  // active / reducing / halted, driven by error reactions (alerts through the Notifier port).
  const tradingState = new TradingState({ clock: wallClock, logger });
  const controller = new PositionController({
    trader,
    exchange,
    clock: engineClock,
    logger,
    intervalMs: config.positionCheckIntervalMs,
    tradingState,
    // Live: while the lanes block (429/418), work from own state so closes still go out on lane 0.
    ...(config.tradingMode === 'live' ? { positionsReadable: () => scheduler.stats().breaker !== 'block' } : {}),
  });
  await trader.reconcile();

  // ── market data and warm-up ────────────────────────────────────────────
  let marketData: MarketData;
  if (history !== null) {
    const replayData = [...history.values()];
    const warmedUntil: Record<string, number> = {};
    for (const symbol of config.symbols) {
      const resumeAfter = lastCandleAt[symbol];
      const candles = history.get(symbol)?.candles ?? [];
      if (resumeAfter !== undefined) {
        // Resume: warm on the candles before the resume point.
        const end = candles.findIndex((c) => c.timestamp > resumeAfter);
        const stop = end === -1 ? candles.length : end;
        trader.warmUp(symbol, candles.slice(Math.max(0, stop - FEATURE_WARMUP_CANDLES - 10), stop));
        continue;
      }
      // Fresh start: warm on the data's first candles, which the replay then skips.
      const warmUp = candles.slice(0, FEATURE_WARMUP_CANDLES);
      trader.warmUp(symbol, warmUp);
      const lastWarm = warmUp.at(-1);
      if (lastWarm !== undefined) warmedUntil[symbol] = lastWarm.timestamp;
    }
    marketData = new ReplayMarketData({ data: replayData, speed: config.replaySpeed, clock: wallClock, startAfter: { ...warmedUntil, ...lastCandleAt } });
  } else {
    marketData = new LiveMarketData({ symbols: config.symbols, scheduler, clock: wallClock, logger, apiBase: config.exchange.apiBase, testnet: config.exchange.testnet });
    for (const symbol of config.symbols) trader.warmUp(symbol, await marketData.history(symbol, FEATURE_WARMUP_CANDLES + 10, wallClock.now()));
    log.info(`signals warmed up on live candles of ${config.symbols.join(', ')}; trading on each closed 5m candle`);
  }

  // ── paper on live data: the venue follows the live tickers ─────────────
  let cancelFeed: (() => void) | null = null;
  if (paper !== null && source === 'live') {
    const feedPaper = (): void => {
      for (const symbol of config.symbols) {
        const ticker = marketData.lastTicker(symbol);
        if (ticker !== null) paper.onTicker(symbol, ticker.last, ticker.mark, Math.max(ticker.timestamp, wallClock.now()));
      }
      cancelFeed = wallClock.setTimer(1000, feedPaper);
    };
    feedPaper();
  }

  // ── lease keeping, control ─────────────────────────────────────────────
  const keeper = new LeaseKeeper(deps.lease, {
    clock: wallClock,
    logger,
    onLost: (reason) => {
      log.error(`lease lost (${reason}): stopping trading now; another instance may take over`);
      marketData.stop();
      void controller.stop();
      deps.finish({ reason: `lease lost: ${reason}`, exitCode: 1 });
    },
  });
  keeper.start();

  const control = new Control({
    trader,
    exchange,
    store,
    // Operator actions are audited in wall time, not in the replay's market time.
    clock: wallClock,
    logger,
    tradingMode: config.tradingMode,
    marketData: deps.fallback ? 'replay (fallback)' : source,
    symbols: config.symbols,
    controllerStats: () => controller.stats(),
    schedulerStats: config.tradingMode === 'live' || source === 'live' ? () => scheduler.stats() : () => null,
    persist,
    tickNow: () => controller.tick(),
    startedAt: wallClock.now(),
    tradingState: () => tradingState.status(),
  });

  // ── the loop ───────────────────────────────────────────────────────────
  let inBatch: Promise<void> = Promise.resolve();
  let stopping = false;
  if (source === 'live') controller.start();
  const loop = marketData
    .run(async (batch) => {
      const step =
        manualClock !== null && paper !== null
          ? replayStep({ clock: manualClock, venue: paper, trader, controller, candleMs: CANDLE_MS, lastCandleAt }, batch)
          : trader.onCandles(batch);
      inBatch = step.then(persistBatch);
      await inBatch;
    })
    .then(
      async () => {
        if (stopping) return;
        await persist();
        deps.finish({ reason: 'replay finished: all the data was played; open positions stay as they are. Ctrl-C to exit.', exitCode: null });
      },
      (error: unknown) => {
        log.error(`trading loop stopped: ${describeError(error)}`);
        deps.finish({ reason: `trading loop stopped: ${describeError(error)}`, exitCode: 1 });
      },
    );

  return {
    control,
    stop: async () => {
      stopping = true;
      // No new entries; let the batch and order calls in flight finish.
      const pausedBefore = trader.engineState().paused;
      trader.setPaused(true);
      marketData.stop();
      (cancelFeed as (() => void) | null)?.();
      (cancelRulesRefresh as (() => void) | null)?.();
      await inBatch.catch(() => undefined);
      await loop;
      if (config.closeOnShutdown) {
        for (const p of trader.managedPositions()) trader.requestExit(p.symbol, 'shutdown');
        await controller.tick();
      }
      await controller.stop();
      // The pause was only for the shutdown: the stored state keeps the operator's choice.
      trader.setPaused(pausedBefore);
      await persist();
      keeper.stop();
      await deps.lease.release();
    },
  };
}
