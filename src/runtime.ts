/**
 * Builds and runs the bot from a validated Config: the composition root's body
 * (ARCHITECTURE "src/main.ts … the only place that wires concrete classes together";
 * main.ts owns the process, this file the wiring).
 *
 * Paper trading on replay data (the embedded default), paper on live public data, or
 * live trading on Binance. State goes to the store (STORE_URL) and is reconciled with the
 * exchange at start; one trader per account holds the store's lease.
 */
import { ManualClock, SystemClock } from './adapters/clock.js';
import { bundledDataDir, loadExchangeRules, loadMarketHistory } from './adapters/data/index.js';
import { ReplayMarketData } from './adapters/market-data/replay.js';
import { PaperExchange } from './adapters/paper/paper-exchange.js';
import type { PaperState } from './adapters/paper/types.js';
import { redactUrl, type Config } from './config.js';
import { LeaseKeeper, acquireLease, type TraderLease } from './db/lease.js';
import { openStore } from './db/store.js';
import { Control } from './engine/control.js';
import { FEATURE_WARMUP_CANDLES } from './engine/features.js';
import { defaultPipelineConfig, type PipelineConfig } from './engine/pipeline.js';
import type { Clock, EngineSnapshot, Exchange, Logger, MarketData, Store } from './engine/ports.js';
import { PositionController } from './engine/position-controller.js';
import { replayStep } from './engine/replay-loop.js';
import { Trader, type TraderConfig, type TraderEvent } from './engine/trader.js';
import type { FundingEvent, SymbolRules } from './engine/types.js';
import { ConfigError, describeError } from './errors.js';

const CANDLE_MS = 5 * 60_000;

export interface RunningBot {
  readonly control: Control | null;
  /** Resolves with a one-line reason when trading stops by itself (replay data ended, lease lost). */
  readonly finished: Promise<string>;
  stop(reason: string): Promise<void>;
}

export function pipelineConfigFrom(config: Config): PipelineConfig {
  return {
    ...defaultPipelineConfig,
    maxLeverage: config.maxLeverage,
    rulesMaxLeverage: config.rulesMaxLeverage,
    maxOpenPositions: config.maxOpenPositions,
    liquidationBufferPct: config.liquidationBufferPct,
    minWinProbability: config.minWinProbability,
    minConfidence: config.minConfidence,
    minRrRatio: config.minRrRatio,
    takerFeeRate: config.paper.takerFeeRate,
    gradeSSizeMultiplier: config.gradeSSizeMultiplier,
  };
}

export function traderConfigFrom(config: Config): TraderConfig {
  return {
    symbols: config.symbols,
    pipeline: pipelineConfigFrom(config),
    positionControlMode: config.positionControlMode,
    explorationRate: config.explorationRate,
    explorationSeed: 20251010,
    timeStopMs: config.timeStopHours * 3_600_000,
    balanceRefreshMs: config.balanceRefreshMs,
    entryTimeoutMs: 60_000 + CANDLE_MS,
    unknownPositions: config.unknownPositions,
    adoptedBaseSlPct: 0.01,
  };
}

function describeEvent(event: TraderEvent): string | null {
  switch (event.kind) {
    case 'entry': {
      const p = event.position;
      return `ENTRY ${p.side.toUpperCase()} ${p.symbol} size ${p.size} @ ${p.entryPrice} · ${p.leverage}x · SL ${p.slPrice} · TP ${p.tpPrice} · liq ${p.liquidationPrice.toFixed(2)} · p(win) ${p.winProbability.toFixed(3)} conf ${p.confidence.toFixed(2)}${p.exploration ? ' · exploration' : ''}`;
    }
    case 'exit': {
      const t = event.trade;
      return `EXIT  ${t.side.toUpperCase()} ${t.symbol} @ ${t.exitPrice} (${t.exitReason}) · P&L ${t.pnlUsdt >= 0 ? '+' : ''}${t.pnlUsdt.toFixed(2)} USDT · fees ${t.feesUsdt.toFixed(2)} · funding ${t.fundingUsdt.toFixed(2)}${t.liquidated ? ' · LIQUIDATED' : ''}`;
    }
    case 'warning':
      return null;
    case 'refused':
      return null;
  }
}

/** Starts the bot; resolves once it trades (or stands by for the lease). */
export async function startBot(config: Config, logger: Logger): Promise<RunningBot> {
  const log = logger.child('main');
  const wallClock = new SystemClock();
  if (config.tradingMode === 'live') {
    // The live Binance adapter exists (src/adapters/binance) but the live composition is not
    // wired yet: refuse clearly rather than pretend (README "Status").
    throw new ConfigError([
      {
        variable: 'TRADING_MODE',
        problem: '"live" is not available in this version yet (paper trading only)',
        expected: 'paper',
      },
    ]);
  }

  // ── market data source ─────────────────────────────────────────────────
  let source: 'replay' | 'live' = config.marketData === 'live' ? 'live' : 'replay';
  let fallbackBanner = false;
  if (config.marketData === 'auto') {
    const reachable = await probeLiveMarketData(config, logger).catch(() => false);
    source = reachable ? 'live' : 'replay';
    fallbackBanner = !reachable;
  }
  if (source === 'live') {
    throw new ConfigError([
      {
        variable: 'MARKET_DATA',
        problem: '"live" market data is not wired into paper trading in this version yet',
        expected: 'replay (or auto, which falls back to replay)',
      },
    ]);
  }

  // ── data (candles validated first), rules ─────────────────────────────
  const dataDir = config.dataDir ?? bundledDataDir();
  const history = await loadMarketHistory(dataDir, config.symbols);
  for (const h of history.values()) for (const warning of h.warnings) log.warn(warning);
  const rules: Map<string, SymbolRules> = loadExchangeRules(dataDir, config.symbols);
  const first = Math.min(...[...history.values()].map((h) => h.candles[0]?.timestamp ?? Infinity));
  const last = Math.max(...[...history.values()].map((h) => h.candles.at(-1)?.timestamp ?? -Infinity));

  const banner = [
    '════════════════════════════════════════════════════════════',
    ` SelfLearningTrader · trading mode: ${config.tradingMode.toUpperCase()}`,
    ` market data: ${source}${fallbackBanner ? ' (FALLBACK: live Binance data unreachable, replaying bundled data)' : ''} · ${dataDir}`,
    ` replay span: ${new Date(first).toISOString()} → ${new Date(last + CANDLE_MS).toISOString()} at ${config.replaySpeed === 0 ? 'full' : `${config.replaySpeed}×`} speed`,
    ` symbols: ${config.symbols.join(', ')} · strategy: ${config.strategyMode} · store: ${redactUrl(config.storeUrl)}`,
    ` control: ${config.discord.token === null ? 'console (no DISCORD_TOKEN)' : 'Discord'}`,
    '════════════════════════════════════════════════════════════',
  ];
  for (const line of banner) (fallbackBanner ? log.warn : log.info).call(log, line);

  // ── store and lease ────────────────────────────────────────────────────
  const store = await openStore(config.storeUrl, { logger, clock: wallClock });
  const abort = new AbortController();
  let finish: (why: string) => void = () => undefined;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  let stopRequested = false;
  const leasePromise = acquireLease(config.storeUrl, { logger, clock: wallClock, ttlMs: config.leaseTtlMs, signal: abort.signal });

  let running: { stop: () => Promise<void>; control: Control } | null = null;
  const bot: { control: Control | null } = { control: null };
  const started = (async () => {
    const lease = await leasePromise;
    if (lease === null) return;
    if (stopRequested) {
      await lease.release();
      return;
    }
    running = await startTrading({ config, logger, store, history, rules, lease, wallClock, finish });
    bot.control = running.control;
  })().catch((error: unknown) => {
    log.error('trading could not start', { error: describeError(error) });
    finish(`trading stopped: ${describeError(error)}`);
  });

  return {
    get control() {
      return bot.control;
    },
    finished,
    async stop(reason: string) {
      stopRequested = true;
      abort.abort();
      await Promise.race([started, wallClock.sleep(5000)]);
      const current: { stop: () => Promise<void> } | null = running;
      if (current !== null) await current.stop();
      await store.close();
      log.info(`bot stopped (${reason})`);
    },
  };
}

async function probeLiveMarketData(config: Config, logger: Logger): Promise<boolean> {
  void config;
  void logger;
  // Live public market data is not wired yet (see startBot): auto always falls back to replay.
  return false;
}

interface TradingDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly history: Awaited<ReturnType<typeof loadMarketHistory>>;
  readonly rules: Map<string, SymbolRules>;
  readonly lease: TraderLease;
  readonly wallClock: Clock;
  readonly finish: (why: string) => void;
}

async function startTrading(deps: TradingDeps): Promise<{ stop: () => Promise<void>; control: Control }> {
  const { config, logger, store, history, rules, wallClock } = deps;
  const log = logger.child('main');
  const snapshot = await store.loadSnapshot();
  const engineClock = new ManualClock(snapshot?.savedAt ?? 0);
  const funding = new Map<string, readonly FundingEvent[]>();
  for (const h of history.values()) if (h.funding !== null) funding.set(h.symbol, h.funding);
  const paperOptions = {
    rules,
    clock: engineClock,
    logger,
    takerFeeRate: config.paper.takerFeeRate,
    makerFeeRate: config.paper.makerFeeRate,
    slippagePct: config.paper.slippagePct,
    fundingRateFallback: config.paper.fundingRateFallback,
    funding,
    // Kept small: the venue is saved with every engine snapshot.
    orderHistoryLimit: 500,
  };
  const paper =
    snapshot?.venue !== null && snapshot?.venue !== undefined
      ? PaperExchange.fromJSON(snapshot.venue as PaperState, paperOptions)
      : new PaperExchange({ ...paperOptions, startingBalanceUsdt: config.paper.startingBalanceUsdt });
  const exchange: Exchange = paper;
  const lastCandleAt: Record<string, number> = { ...(snapshot?.lastCandleAt ?? {}) };

  const persist = async (): Promise<void> => {
    const doc: EngineSnapshot = {
      version: 1,
      savedAt: engineClock.now(),
      ...trader.exportState(),
      lastCandleAt: { ...lastCandleAt },
      venue: paper.toJSON(),
    };
    await store.saveSnapshot(doc);
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
  const controller = new PositionController({ trader, exchange, clock: engineClock, logger, intervalMs: config.positionCheckIntervalMs });
  await trader.reconcile();

  const warmedUntil: Record<string, number> = {};
  const replayData = [...history.values()];
  const makeReplay = (startAfter: Record<string, number>): ReplayMarketData =>
    new ReplayMarketData({ data: replayData, speed: config.replaySpeed, clock: wallClock, startAfter });
  let marketData: MarketData & { stop(): void } = makeReplay(lastCandleAt);
  // Warm the signal generators (no decisions): on a fresh start with the data's first
  // candles, which the replay then skips; on a resume with the candles before the resume point.
  for (const symbol of config.symbols) {
    const resumeAfter = lastCandleAt[symbol];
    if (resumeAfter !== undefined) {
      trader.warmUp(symbol, await marketData.history(symbol, FEATURE_WARMUP_CANDLES + 10, resumeAfter + 1));
      continue;
    }
    const warmUp = history.get(symbol)?.candles.slice(0, FEATURE_WARMUP_CANDLES) ?? [];
    trader.warmUp(symbol, warmUp);
    const lastWarm = warmUp.at(-1);
    if (lastWarm !== undefined) warmedUntil[symbol] = lastWarm.timestamp;
  }

  if (Object.keys(warmedUntil).length > 0) marketData = makeReplay({ ...warmedUntil, ...lastCandleAt });

  const keeper = new LeaseKeeper(deps.lease, {
    clock: wallClock,
    logger,
    onLost: (reason) => {
      log.error(`lease lost (${reason}): stopping trading now; another instance may take over`);
      marketData.stop();
    },
  });
  keeper.start();

  const control = new Control({
    trader,
    exchange,
    store,
    clock: engineClock,
    tradingMode: config.tradingMode,
    marketData: config.marketData === 'auto' ? 'replay (fallback)' : 'replay',
    symbols: config.symbols,
    controllerStats: () => controller.stats(),
    persist,
    tickNow: () => controller.tick(),
    startedAt: wallClock.now(),
  });

  let inBatch: Promise<void> = Promise.resolve();
  let stopping = false;
  const loop = marketData
    .run(async (batch) => {
      const step = replayStep({ clock: engineClock, venue: paper, trader, controller, candleMs: CANDLE_MS, lastCandleAt }, batch).then(persist);
      inBatch = step;
      await step;
    })
    .then(
      () => {
        if (!stopping) deps.finish('replay finished: all the data was played; open positions stay as they are. Ctrl-C to exit.');
      },
      (error: unknown) => {
        log.error('trading loop stopped', { error: describeError(error) });
        deps.finish(`trading loop stopped: ${describeError(error)}`);
      },
    );

  return {
    control,
    stop: async () => {
      stopping = true;
      marketData.stop();
      await inBatch.catch(() => undefined);
      await loop;
      if (config.closeOnShutdown) {
        for (const p of trader.managedPositions()) trader.requestExit(p.symbol, 'shutdown');
        await controller.tick();
      }
      await controller.stop();
      await persist();
      keeper.stop();
      await deps.lease.release();
    },
  };
}
