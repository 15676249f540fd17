/**
 * A backtest is `npm start`'s paper replay at full speed with nothing persisted: the same
 * engine builder (src/compose/engine.ts), the same paper venue configuration, the same
 * warm-up and the same replay step (ARCHITECTURE "Same engine everywhere"). Settings come
 * from a Config (environment + flags, src/backtest/settings.ts).
 */
import { ManualClock } from '../adapters/clock.js';
import { loadExchangeRules, loadMarketHistory } from '../adapters/data/index.js';
import type { SymbolHistory } from '../adapters/data/index.js';
import { ReplayMarketData } from '../adapters/market-data/replay.js';
import { buildEngine } from '../compose/engine.js';
import { dataDirOf, warmUpOnHistory } from '../compose/market-data.js';
import { buildPaperVenue, fundingFrom } from '../compose/venue.js';
import type { Config } from '../config.js';
import { MemoryStore } from '../db/memory-store.js';
import { DAY_MS, periodDayCount } from '../engine/metrics.js';
import type { Logger } from '../engine/ports.js';
import type { ReportedAlert } from '../engine/reports.js';
import { replayStep } from '../engine/replay-loop.js';
import { wireReports } from '../reports/wiring.js';
import { NOTHING_TO_DO, type ExitAdvisor, type Predictor, type TraderEvent } from '../engine/trader.js';
import type { ReportShadow } from '../reports/service.js';
import { CANDLE_MS, type SymbolRules, type TradeRecord } from '../engine/types.js';
import { UserInputError } from '../errors.js';
import { utcDayOf } from '../engine/utc-day.js';
import { buildReport, type BacktestReport, type SignalCounts } from './report.js';
import type { BacktestSettings } from './settings.js';

export interface BacktestOptions {
  /** The effective settings (symbols, strategy, wallet, fees, limits, data directory). */
  readonly config: Config;
  /** Where each setting came from, for the report (absent: not reported). */
  readonly settings?: BacktestSettings;
  /** Inclusive candle open times; default the whole range in the data. */
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly logger: Logger;
  readonly onProgress?: (done: number, total: number) => void;
  readonly onEvent?: (event: TraderEvent) => void;
  /** Self-learning: the Trader's predictor (src/backtest/self-learning.ts gives the walk-forward one). */
  readonly predictor?: Predictor;
  /** Grade C: the model's shadow score and the automatic resume (the self-learning backtest). */
  readonly shadow?: ReportShadow;
  /** Model exits (POSITION_CONTROL_MODE=self_learning with the walk-forward model). */
  readonly exitAdvisor?: ExitAdvisor;
  /** Hands out the replay clock (the walk-forward model source reads the decision time from it). */
  readonly onClock?: (clock: ManualClock) => void;
  /** Already loaded history (benchmarks of the engine alone); loaded from the data directory when absent. */
  readonly preloaded?: Map<string, SymbolHistory>;
  /** Alters the loaded history before the run (the look-ahead test changes future candles). */
  readonly transformHistory?: (history: Map<string, SymbolHistory>) => void;
}

/** The headline (non-exploration trades) with the period: what `--json` stores as `summary`. */
export type BacktestSummary = BacktestReport['summary'];

export interface BacktestResult {
  readonly summary: BacktestSummary;
  /** The whole report (src/backtest/report.ts): summary, exploration, tables, buy-and-hold, signals, warnings. */
  readonly report: BacktestReport;
  readonly settings: BacktestSettings | null;
  readonly trades: TradeRecord[];
  /** Every entry decision in order: symbol, side, decision time (for the look-ahead test). */
  readonly decisions: { id: string; symbol: string; side: string; openedAt: number; size: number; leverage: number }[];
  readonly elapsedMs: number;
}

export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const { config, logger } = options;
  const symbols = config.symbols;
  if (symbols.length === 0) throw new UserInputError('--symbols needs at least one symbol');
  const started = performance.now();
  const dataDir = dataDirOf(config);
  const range = {
    ...(options.fromMs !== undefined ? { from: options.fromMs } : {}),
    ...(options.toMs !== undefined ? { to: options.toMs } : {}),
  };
  // Candle, mark and funding files (a bad candle file is the error reported), then the exchange rules.
  const history = options.preloaded ?? (await loadMarketHistory(dataDir, symbols, range));
  const rules: Map<string, SymbolRules> = loadExchangeRules(dataDir, symbols);
  options.transformHistory?.(history);
  const warnings = [...history.values()].flatMap((h) => h.warnings);
  for (const warning of warnings) logger.warn(warning);

  const all = [...history.values()];
  const firstMs = Math.min(...all.map((h) => h.candles[0]?.timestamp ?? Infinity));
  const lastMs = Math.max(...all.map((h) => h.candles.at(-1)?.timestamp ?? -Infinity));
  const total = all.reduce((n, h) => n + h.candles.length, 0);

  const clock = new ManualClock(firstMs);
  options.onClock?.(clock);
  const paper = buildPaperVenue(config, { rules, clock, logger, funding: fundingFrom(history) });
  const store = new MemoryStore();
  const decisions: BacktestResult['decisions'] = [];
  const signals = { proposed: 0, taken: 0, explored: 0, refused: 0, refusedBy: {} as Record<string, number> };
  const { trader, controller } = buildEngine(config, {
    exchange: paper,
    clock,
    logger,
    rules,
    persist: async () => undefined,
    recordTrade: (trade) => store.putTrade(trade),
    onEvent: (event) => {
      if (event.kind === 'refused') {
        signals.proposed++;
        signals.refused++;
        for (const code of new Set(event.codes)) signals.refusedBy[code] = (signals.refusedBy[code] ?? 0) + 1;
      }
      if (event.kind === 'entry') {
        signals.proposed++;
        signals.taken++;
        if (event.position.exploration) signals.explored++;
        decisions.push({
          id: event.position.entryClientOrderId,
          symbol: event.position.symbol,
          side: event.position.side,
          openedAt: event.position.openedAt,
          size: event.position.size,
          leverage: event.position.leverage,
        });
      }
      options.onEvent?.(event);
    },
    controllerIntervalMs: CANDLE_MS,
    ...(options.predictor !== undefined ? { predictor: options.predictor } : {}),
    ...(options.exitAdvisor !== undefined ? { exitAdvisor: options.exitAdvisor } : {}),
  });
  // The daily report at each simulated midnight, grade applied, as `npm start` on replay does
  // (same trades, same grades; nothing kept, written or sent).
  const reports = wireReports({
    config,
    logger,
    store,
    archive: null,
    engineClock: clock,
    wallClock: clock,
    replay: true,
    transport: { notify: () => undefined },
    transportShowsCharts: false,
    walletBalanceUsdt: async () => (await paper.fetchBalance()).walletBalanceUsdt,
    equitySource: 'venue',
    grade: () => trader.engineState().grade,
    setGrade: async (grade) => trader.setGrade(grade),
    ...(options.shadow !== undefined ? { shadow: options.shadow } : {}),
    // Summed up in the report's warnings (evaluatorAlertsLine) instead of a log line per simulated day.
    quietAlerts: true,
  });
  const lastCandleAt: Record<string, number> = {};
  const startAfter = warmUpOnHistory(trader, symbols, history, lastCandleAt);
  const marketData = new ReplayMarketData({ data: all, speed: 0, startAfter });
  let done = 0;
  let nextReport = 0;
  const stepDeps = { clock, venue: paper, trader, controller, candleMs: CANDLE_MS, lastCandleAt };
  const afterStep = (size: number): Promise<void> | undefined => {
    reports.start();
    const reported = reports.afterBatch();
    done += size;
    if (options.onProgress !== undefined && done >= nextReport) {
      options.onProgress(done, total);
      nextReport = done + 5000;
    }
    return reported;
  };
  // Most batches need no promise at all (nothing filled, nothing to send, no midnight):
  // they stay synchronous, which is most of what a backtest is.
  await marketData.run((batch) => {
    const stepped = replayStep(stepDeps, batch);
    return stepped === NOTHING_TO_DO ? afterStep(batch.length) : stepped.then(() => afterStep(batch.length));
  });
  // Positions still open at the end are closed at the last price so the summary is complete.
  for (const position of trader.managedPositions()) trader.requestExit(position.symbol, 'shutdown');
  if (trader.hasWork()) {
    await controller.tick();
    const endAt = lastMs + CANDLE_MS;
    clock.set(endAt);
    // No next candle: the closes fill at the last price seen.
    for (const symbol of symbols) {
      const ticker = marketData.lastTicker(symbol);
      if (ticker !== null) paper.onTicker(symbol, ticker.last, ticker.mark ?? ticker.last, endAt);
    }
    await controller.tick();
  }
  options.onProgress?.(total, total);
  const trades = store.allTrades();
  const toMs = lastMs + CANDLE_MS;
  const report = buildReport({
    trades,
    period: {
      fromMs: firstMs,
      toMs,
      from: new Date(firstMs).toISOString(),
      to: new Date(toMs).toISOString(),
      days: periodDayCount(firstMs, toMs),
      symbols,
      strategy: config.strategyMode,
      candles: total,
      startingEquityUsdt: config.paper.startingBalanceUsdt,
    },
    settings: options.settings ?? null,
    signals: signals satisfies SignalCounts,
    candles: new Map(all.map((h) => [h.symbol, h.candles])),
    dataWarnings: [...warnings, ...evaluatorAlertsLine(reports.alerts.firedBetween(firstMs, toMs + DAY_MS))],
  });
  return {
    summary: report.summary,
    report,
    settings: options.settings ?? null,
    trades,
    decisions,
    elapsedMs: performance.now() - started,
  };
}

/**
 * The alerts the daily evaluator raised during the replay (as `npm start` would have sent
 * them), counted by kind with their first and last day: one line, or none.
 */
export function evaluatorAlertsLine(fired: readonly ReportedAlert[]): string[] {
  if (fired.length === 0) return [];
  const byKind = new Map<string, { count: number; first: number; last: number }>();
  for (const alert of fired) {
    const kind = alert.key.split(':')[0] ?? alert.key;
    const seen = byKind.get(kind);
    if (seen === undefined) byKind.set(kind, { count: 1, first: alert.at, last: alert.at });
    else byKind.set(kind, { count: seen.count + 1, first: seen.first, last: alert.at });
  }
  const parts = [...byKind].map(([kind, s]) => {
    const span = utcDayOf(s.first) === utcDayOf(s.last) ? utcDayOf(s.first) : `${utcDayOf(s.first)} → ${utcDayOf(s.last)}`;
    return `${kind} ×${s.count} (${span})`;
  });
  return [`the daily evaluator raised ${fired.length} alert(s), as npm start would have: ${parts.join(', ')}`];
}
