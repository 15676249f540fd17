/**
 * Builds and runs the bot from a validated Config (ARCHITECTURE: `src/main.ts` owns the
 * process; this file and src/compose/ wire the concrete classes).
 *
 * Three compositions, one engine (src/compose/engine.ts, shared with the backtest):
 *   paper + replay        PaperExchange on bundled/given data, ManualClock = market time,
 *                         the controller evaluates at every candle close (replay-loop.ts)
 *   paper + live data     PaperExchange fed with live Binance tickers, LiveMarketData (lane 3),
 *                         the controller ticks every POSITION_CHECK_INTERVAL_MS on the wall clock
 *   live                  BinanceExchange (ccxt, lazily loaded) through the execution lanes
 * Steps: choose the source and load data → banner → open store and lease (a second instance
 * stands by) → trading (src/compose/trading.ts: venue, engine, market data, control, loop).
 */
import { SystemClock } from './adapters/clock.js';
import { loadExchangeRules, type SymbolHistory } from './adapters/data/index.js';
import { redactUrl, type Config } from './config.js';
import { acquireLease } from './db/lease.js';
import { openStore } from './db/store.js';
import { checkStoreOwner, storeOwnerOf } from './db/store-guard.js';
import { whatToFix } from './adapters/binance/startup-retry.js';
import type { Control } from './engine/control.js';
import { LaneScheduler } from './engine/execution/scheduler.js';
import type { Logger } from './engine/ports.js';
import { CANDLE_MS } from './engine/types.js';
import { describeError } from './errors.js';
import { chooseSource, dataDirOf, loadReplayHistory, type SourceChoice } from './compose/market-data.js';
import { startTrading, type Finished, type RunningTrading } from './compose/trading.js';

export type { Finished } from './compose/trading.js';

export interface StartOptions {
  /** Offer the console twin on stdin/stdout when DISCORD_TOKEN is unset (`npm start`; tests leave it off). */
  readonly console?: boolean;
}

export interface RunningBot {
  /** The Control facade once trading runs (null while standing by for the lease). */
  readonly control: Control | null;
  readonly finished: Promise<Finished>;
  stop(reason: string): Promise<void>;
}

/** The start banner: mode, data source, symbols, store, control transport. */
function banner(config: Config, choice: SourceChoice, history: ReadonlyMap<string, SymbolHistory> | null, options: StartOptions): string[] {
  let span = 'live Binance USDT-M public data';
  if (history !== null) {
    const all = [...history.values()];
    const first = Math.min(...all.map((h) => h.candles[0]?.timestamp ?? Infinity));
    const last = Math.max(...all.map((h) => h.candles.at(-1)?.timestamp ?? -Infinity));
    span = `${new Date(first).toISOString()} → ${new Date(last + CANDLE_MS).toISOString()} at ${config.replaySpeed === 0 ? 'full' : `${config.replaySpeed}×`} speed`;
  }
  const { source, fallback } = choice;
  return [
    '════════════════════════════════════════════════════════════',
    ` SelfLearningTrader · trading mode: ${config.tradingMode.toUpperCase()}${config.tradingMode === 'live' ? (config.exchange.testnet ? ' (Binance demo trading)' : ' (REAL ORDERS)') : ''}`,
    ` market data: ${source}${fallback ? ' (FALLBACK: live Binance data unreachable, replaying bundled data)' : ''}${source === 'replay' ? ` · ${dataDirOf(config)}` : ''}`,
    ` ${source === 'replay' ? 'replay span' : 'source'}: ${span}`,
    ` symbols: ${config.symbols.join(', ')} · strategy: ${config.strategyMode} · store: ${redactUrl(config.storeUrl)}`,
    ` control: ${config.discord.token === null ? (options.console === true ? 'console (no DISCORD_TOKEN): type /help' : 'none (no DISCORD_TOKEN)') : 'Discord (slash commands in your server; npm run deploy-commands registers them)'}`,
    '════════════════════════════════════════════════════════════',
  ];
}

/** Starts the bot; resolves once it trades or stands by for the lease. */
export async function startBot(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningBot> {
  const log = logger.child('main');
  const wallClock = new SystemClock();
  // One scheduler owns every Binance request of this process (market data and orders).
  const scheduler = new LaneScheduler({ clock: wallClock, logger });

  // ── market data source, data (candle files validated first) and file rules ──
  const source = await chooseSource(config, { scheduler, logger });
  const history = source.source === 'replay' ? await loadReplayHistory(config, logger) : null;
  // Paper trading uses the data's filters and brackets (labelled so in its PROVENANCE);
  // live trading reads the exchange's own at start (and daily).
  const fileRules = config.tradingMode === 'paper' ? loadExchangeRules(dataDirOf(config), config.symbols) : null;
  const loud = source.fallback || config.tradingMode === 'live';
  for (const line of banner(config, source, history, options)) {
    if (loud) log.warn(line);
    else log.info(line);
  }

  // ── store and lease: trade once the lease is ours ─────────────────────
  // One store, one mode and account: refuse (exit 2) a store another mode or account wrote.
  const claimStore = await checkStoreOwner(config.storeUrl, storeOwnerOf(config), { logger, now: wallClock.now() });
  const store = await openStore(config.storeUrl, { logger, clock: wallClock });
  const abort = new AbortController();
  let finish: (finished: Finished) => void = () => undefined;
  const finished = new Promise<Finished>((resolve) => (finish = resolve));
  const slot: { running: RunningTrading | null; stopRequested: boolean } = { running: null, stopRequested: false };
  const started = (async () => {
    const lease = await acquireLease(config.storeUrl, { logger, clock: wallClock, ttlMs: config.leaseTtlMs, signal: abort.signal });
    if (lease === null) return;
    if (slot.stopRequested) {
      await lease.release();
      return;
    }
    try {
      slot.running = await startTrading({
        config,
        logger,
        store,
        history,
        fileRules,
        source,
        lease,
        wallClock,
        scheduler,
        finish,
        console: options.console,
        claimStore,
        reportArchive: store.dailyReports,
        recentAudit: (limit) => store.audit.recent(limit),
      });
    } catch (error) {
      // Give the lease back at once: a new container (another host) would otherwise wait out the TTL.
      await lease.release();
      throw error;
    }
  })().catch((error: unknown) => {
    const reason = `trading could not start: ${describeError(error)} (${whatToFix(error)})`;
    log.error(reason);
    finish({ reason, exitCode: 1 });
  });

  return {
    get control() {
      return slot.running?.control ?? null;
    },
    finished,
    async stop(reason: string) {
      slot.stopRequested = true;
      abort.abort();
      await Promise.race([started, wallClock.sleep(5000)]);
      await slot.running?.stop();
      scheduler.stop(`shutdown (${reason})`);
      await store.close();
      log.info(`bot stopped (${reason})`);
    },
  };
}
