/**
 * Trading once the lease is held, in named steps: build venue → build engine → restore and
 * reconcile → wire market data → keep the lease → wire control → run the candle loop.
 */
import { ManualClock } from '../adapters/clock.js';
import type { SymbolHistory } from '../adapters/data/index.js';
import type { PaperExchange } from '../adapters/paper/paper-exchange.js';
import type { Config } from '../config.js';
import { LeaseKeeper, type TraderLease } from '../db/lease.js';
import type { Control } from '../engine/control.js';
import type { LaneScheduler } from '../engine/execution/scheduler.js';
import type { AuditEntry, Clock, DailyReportArchive, EngineSnapshot, Exchange, Logger, Store } from '../engine/ports.js';
import { modelInfoOf } from '../reports/model-info.js';
import type { ReportsWiring } from '../reports/wiring.js';
import { replayStep } from '../engine/replay-loop.js';
import { CANDLE_MS, type SymbolRules } from '../engine/types.js';
import { describeError } from '../errors.js';
import { retryStartup } from '../adapters/binance/startup-retry.js';
import { OpenOrderSweeper } from '../engine/open-orders.js';
import type { Trader, TraderEvent } from '../engine/trader.js';
import { wireControl } from './control.js';
import { wireDiscord } from './discord.js';
import { buildEngine, type Engine } from './engine.js';
import { buildLearning, reportShadowOf, type Learning } from './learning.js';
import { wireReportsStep, type NoticeTransport } from './reports.js';
import { describeEvent } from './events.js';
import { wireMarketData, type SourceChoice } from './market-data.js';
import { SnapshotWriter } from './snapshots.js';
import { buildBinanceVenue, buildPaperVenue, fundingFrom } from './venue.js';

/** How trading ended by itself: `exitCode` null means "stay up" (e.g. the replay data ended). */
export interface Finished {
  readonly reason: string;
  readonly exitCode: number | null;
}

export interface RunningTrading {
  readonly control: Control;
  stop(): Promise<void>;
}

export interface TradingDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly history: ReadonlyMap<string, SymbolHistory> | null;
  readonly fileRules: Map<string, SymbolRules> | null;
  readonly source: SourceChoice;
  readonly lease: TraderLease;
  readonly wallClock: Clock;
  readonly scheduler: LaneScheduler;
  readonly finish: (finished: Finished) => void;
  /** Offer the console twin (see wireControl). */
  readonly console?: boolean | undefined;
  /** Records the store's owner (mode, account) once it has been read without error. */
  readonly claimStore?: (() => Promise<void>) | null;
  /** Daily reports are stored here (the store's `dailyReports`); absent: no reports. */
  readonly reportArchive?: DailyReportArchive;
  /** The store's audit log (mode changes in the report). */
  readonly recentAudit?: (limit: number) => Promise<AuditEntry[]>;
  /** Where notices go (seam: the Discord outbox); the log when absent. */
  readonly notices?: NoticeTransport;
}

interface BuiltVenue {
  readonly exchange: Exchange;
  readonly paper: PaperExchange | null;
  readonly rules: ReadonlyMap<string, SymbolRules>;
  stop(): void;
}

/** Step "build venue". */
async function buildVenue(deps: TradingDeps, snapshot: EngineSnapshot | null, engineClock: Clock): Promise<BuiltVenue> {
  const { config, logger } = deps;
  if (config.tradingMode === 'paper') {
    const rules = deps.fileRules ?? new Map<string, SymbolRules>();
    // Kept small: the venue is saved with every engine snapshot.
    const paper = buildPaperVenue(config, {
      rules,
      clock: engineClock,
      logger,
      funding: fundingFrom(deps.history),
      saved: snapshot?.venue ?? null,
      orderHistoryLimit: 500,
    });
    return { exchange: paper, paper, rules, stop: () => undefined };
  }
  const live = await buildBinanceVenue(config, { scheduler: deps.scheduler, clock: deps.wallClock, logger });
  return { ...live, paper: null };
}

/** Step "build engine", then restore the snapshot and reconcile with the venue. */
async function buildRestoredEngine(
  deps: TradingDeps,
  venue: BuiltVenue,
  snapshot: EngineSnapshot | null,
  engineClock: Clock,
  snapshots: SnapshotWriter,
  learning: Learning,
  onTradeEvent: ((event: TraderEvent) => void) | null,
  reports: ReportsWiring | null,
): Promise<Engine> {
  const { config, logger, store, scheduler } = deps;
  const tradeLog = logger.child('trades');
  const engine = buildEngine(config, {
    exchange: venue.exchange,
    clock: engineClock,
    logger,
    rules: venue.rules,
    persist: (trader) => snapshots.save(trader),
    recordTrade: (trade) => store.putTrade(trade),
    onEvent: (event) => {
      const line = describeEvent(event);
      if (line !== null) tradeLog.info(line);
      onTradeEvent?.(event);
      reports?.onTraderEvent(event);
    },
    controllerIntervalMs: config.positionCheckIntervalMs,
    wallClock: deps.wallClock,
    // Trading-state alerts (halted, reducing) get the reports' dedup and are listed in the day's report.
    ...(reports !== null ? { alerts: reports.alerts } : {}),
    predictor: learning.predictor,
    ...(learning.exitAdvisor !== null ? { exitAdvisor: learning.exitAdvisor } : {}),
    // Live: while the lanes block (429/418), work from own state so closes still go out on lane 0.
    ...(config.tradingMode === 'live' ? { positionsReadable: () => scheduler.stats().breaker !== 'block' } : {}),
  });
  if (snapshot !== null) {
    engine.trader.restoreState(snapshot);
    logger.child('main').info('state restored', {
      positions: snapshot.positions.length,
      pendingOrders: snapshot.pendingOrders.length,
      paused: snapshot.state.paused,
    });
  }
  await retryStartup('reconciling with the exchange', () => engine.trader.reconcile(), { clock: deps.wallClock, logger });
  return engine;
}

export async function startTrading(deps: TradingDeps): Promise<RunningTrading> {
  const { config, logger, store, wallClock } = deps;
  const log = logger.child('main');
  const snapshot = await store.loadSnapshot();
  // Read without error: now the store is recorded as this mode's and account's.
  await deps.claimStore?.();
  // Replay runs on market time (set at each candle); live data on the wall clock.
  const manualClock = deps.history !== null ? new ManualClock(snapshot?.savedAt ?? 0) : null;
  const engineClock: Clock = manualClock ?? wallClock;
  const lastCandleAt: Record<string, number> = { ...(snapshot?.lastCandleAt ?? {}) };

  const venue = await buildVenue(deps, snapshot, engineClock);
  const snapshots = new SnapshotWriter({ store, engineClock, wallClock, lastCandleAt, venue: venue.paper });
  const learning = await buildLearning(config, { store, clock: engineClock, logger, rules: venue.rules });
  // Discord (when configured) before the engine: its outbox takes the trade notices.
  const discord = wireDiscord(config, { store, logger, wallClock });
  // The reports need the Trader's grade; the Trader needs the reports' alerts: bound late.
  let traderRef: Trader | null = null;
  const replay = manualClock !== null;
  const reports: ReportsWiring | null =
    deps.reportArchive === undefined
      ? null
      : wireReportsStep(config, {
          logger,
          store,
          archive: deps.reportArchive,
          ...(deps.recentAudit !== undefined ? { recentAudit: deps.recentAudit } : {}),
          exchange: venue.exchange,
          paper: venue.paper !== null,
          engineClock,
          wallClock,
          replay,
          scheduler: config.tradingMode === 'live' || deps.source.source === 'live' ? deps.scheduler : null,
          // Reports and alerts go to Discord when it is configured (charts shown), else the log.
          ...(discord !== null
            ? { transport: { notifier: discord.notifier, showsCharts: true } }
            : deps.notices !== undefined
              ? { transport: deps.notices }
              : {}),
          grade: () => traderRef?.engineState().grade ?? null,
          setGrade: async (grade) => {
            if (traderRef === null) return;
            traderRef.setGrade(grade);
            await snapshots.save(traderRef);
          },
          model: () => modelInfoOf(learning.service.current),
          shadow: reportShadowOf(config, learning.predictor),
        });
  const engine = await buildRestoredEngine(
    deps,
    venue,
    snapshot,
    engineClock,
    snapshots,
    learning,
    discord === null ? null : (event) => discord.onTradeEvent(event),
    reports,
  );
  const { trader, controller } = engine;
  traderRef = trader;
  const persist = (): Promise<void> => snapshots.save(trader);

  // Live: open orders (regular and algo) listed now and every 5 minutes: leftovers cancelled,
  // orders the bot did not place reported (or cancelled with FOREIGN_ORDERS=cancel).
  const sweeper = config.tradingMode === 'live' ? openOrderSweeper(config, venue.exchange, trader, wallClock, logger) : null;
  sweeper?.start();

  const wired = await wireMarketData(config, {
    history: deps.history,
    trader,
    paper: venue.paper,
    lastCandleAt,
    scheduler: deps.scheduler,
    wallClock,
    logger,
  });
  const { marketData } = wired;

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

  const controlWiring = wireControl(config, {
    engine,
    exchange: venue.exchange,
    store,
    wallClock,
    logger,
    source: deps.source,
    scheduler: deps.scheduler,
    persist,
    console: deps.console,
    discord,
    ...(reports !== null ? { reports: reports.cards } : {}),
  });
  // Live data: the midnight schedule and the catch-up start now. Replay: after the first
  // batch, once the engine clock holds market time.
  if (!replay) reports?.start();

  // ── the candle loop ────────────────────────────────────────────────────
  let inBatch: Promise<void> = Promise.resolve();
  let stopping = false;
  const paper = venue.paper;
  const step =
    manualClock !== null && paper !== null
      ? (batch: Parameters<typeof trader.onCandles>[0]): Promise<void> =>
          replayStep({ clock: manualClock, venue: paper, trader, controller, candleMs: CANDLE_MS, lastCandleAt }, batch)
      : (batch: Parameters<typeof trader.onCandles>[0]): Promise<void> => trader.onCandles(batch);
  if (deps.source.source === 'live') controller.start();
  const loop = marketData
    .run(async (batch) => {
      inBatch = step(batch)
        .then(() => snapshots.saveIfDue(trader))
        .then(() => {
          if (reports === null || !replay) return;
          reports.start();
          // The replay waits for the reports of the midnights this batch crossed.
          return reports.afterBatch();
        });
      await inBatch;
    })
    .then(
      async () => {
        if (stopping) return;
        await persist();
        deps.finish({
          reason: 'replay finished: all the data was played; open positions stay as they are. Ctrl-C to exit.',
          exitCode: null,
        });
      },
      (error: unknown) => {
        log.error(`trading loop stopped: ${describeError(error)}`);
        deps.finish({ reason: `trading loop stopped: ${describeError(error)}`, exitCode: 1 });
      },
    );

  return {
    control: controlWiring.control,
    stop: async () => {
      stopping = true;
      // No new entries; let the batch and order calls in flight finish.
      const pausedBefore = trader.engineState().paused;
      trader.setPaused(true);
      await controlWiring.stop();
      marketData.stop();
      wired.stop();
      venue.stop();
      sweeper?.stop();
      await inBatch.catch(() => undefined);
      await loop;
      await reports?.stop();
      if (config.closeOnShutdown) {
        for (const p of trader.managedPositions()) trader.requestExit(p.symbol, 'shutdown');
        await controller.tick();
      }
      await controller.stop();
      await learning.stop();
      // The pause was only for the shutdown: the stored state keeps the operator's choice.
      trader.setPaused(pausedBefore);
      await persist();
      keeper.stop();
      await deps.lease.release();
    },
  };
}

/** The live sweeper of open orders; the engine's own ids are those of its positions and intents. */
function openOrderSweeper(config: Config, exchange: Exchange, trader: Trader, clock: Clock, logger: Logger): OpenOrderSweeper {
  return new OpenOrderSweeper({
    exchange,
    clock,
    logger,
    foreignOrders: config.foreignOrders,
    ownedIds: () => {
      const ids = new Set<string>();
      for (const p of trader.managedPositions())
        for (const id of [p.slClientOrderId, p.tpClientOrderId, p.exitClientOrderId]) if (id !== null) ids.add(id);
      for (const o of trader.pendingOrders()) ids.add(o.request.clientOrderId);
      return ids;
    },
  });
}
