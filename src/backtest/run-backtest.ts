/**
 * A backtest is the paper exchange driven by a replay clock, with the very same Trader
 * and PositionController as live (ARCHITECTURE "Same engine everywhere"): no
 * backtest-only shortcut in the engine. Nothing is persisted.
 */
import { ManualClock } from '../adapters/clock.js';
import { loadExchangeRules, loadMarketHistory } from '../adapters/data/index.js';
import type { SymbolHistory } from '../adapters/data/index.js';
import { ReplayMarketData } from '../adapters/market-data/replay.js';
import { PaperExchange } from '../adapters/paper/paper-exchange.js';
import { MemoryStore } from '../db/memory-store.js';
import { computeMetrics, type TradeMetrics } from '../engine/metrics.js';
import { defaultPipelineConfig, type PipelineConfig } from '../engine/pipeline.js';
import type { Logger } from '../engine/ports.js';
import { PositionController } from '../engine/position-controller.js';
import { replayStep } from '../engine/replay-loop.js';
import { Trader, defaultTraderConfig, type TraderConfig, type TraderEvent } from '../engine/trader.js';
import { CANDLE_MS, type StrategyMode, type SymbolRules, type TradeRecord } from '../engine/types.js';
import { UserInputError } from '../errors.js';


export interface BacktestOptions {
  readonly dataDir: string;
  readonly symbols: readonly string[];
  /** Inclusive candle open times; default the whole range in the data. */
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly strategy: StrategyMode;
  readonly equityUsdt: number;
  readonly logger: Logger;
  readonly pipeline?: Partial<PipelineConfig>;
  readonly paper?: { takerFeeRate?: number; makerFeeRate?: number; slippageRate?: number; fundingRateFallback?: number };
  readonly trader?: Partial<TraderConfig>;
  readonly onProgress?: (done: number, total: number) => void;
  readonly onEvent?: (event: TraderEvent) => void;
  /** Already loaded history (benchmarks of the engine alone); loaded from `dataDir` when absent. */
  readonly preloaded?: Map<string, SymbolHistory>;
  /** Alters the loaded history before the run (the look-ahead test changes future candles). */
  readonly transformHistory?: (history: Map<string, SymbolHistory>) => void;
}

/** The backtest's headline figures (percents for the reader; the metrics themselves are in src/engine/metrics.ts). */
export interface BacktestSummary extends Omit<TradeMetrics, 'warnings'> {
  readonly explorationTrades: number;
  readonly pnlUsdt: number;
  readonly maxDrawdownPct: number;
  readonly exposurePct: number;
  readonly cagrPct: number | null;
  readonly averageLeverage: number;
  readonly exitReasons: Readonly<Record<string, number>>;
  readonly from: string;
  readonly to: string;
  readonly symbols: readonly string[];
  readonly strategy: StrategyMode;
  readonly candles: number;
  readonly warnings: readonly string[];
}

export interface BacktestResult {
  readonly summary: BacktestSummary;
  readonly trades: TradeRecord[];
  /** Every entry decision in order: symbol, side, decision time (for the look-ahead test). */
  readonly decisions: { id: string; symbol: string; side: string; openedAt: number; size: number; leverage: number }[];
  readonly elapsedMs: number;
}

export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  if (options.symbols.length === 0) throw new UserInputError('--symbols needs at least one symbol');
  const started = performance.now();
  const range = { ...(options.fromMs !== undefined ? { from: options.fromMs } : {}), ...(options.toMs !== undefined ? { to: options.toMs } : {}) };
  // Candle files first (validated), then mark/funding, then the exchange rules.
  const history = options.preloaded ?? (await loadMarketHistory(options.dataDir, options.symbols, range));
  const rules: Map<string, SymbolRules> = loadExchangeRules(options.dataDir, options.symbols);
  options.transformHistory?.(history);
  const warnings = [...history.values()].flatMap((h) => h.warnings);
  for (const warning of warnings) options.logger.warn(warning);

  const all = [...history.values()];
  const firstMs = Math.min(...all.map((h) => h.candles[0]?.timestamp ?? Infinity));
  const lastMs = Math.max(...all.map((h) => h.candles.at(-1)?.timestamp ?? -Infinity));
  const total = all.reduce((n, h) => n + h.candles.length, 0);

  const clock = new ManualClock(firstMs);
  const funding = new Map<string, readonly import('../engine/types.js').FundingEvent[]>();
  for (const h of all) if (h.funding !== null) funding.set(h.symbol, h.funding);
  const paper = new PaperExchange({
    rules,
    clock,
    logger: options.logger,
    startingBalanceUsdt: options.equityUsdt,
    funding,
    ...(options.paper ?? {}),
  });
  const marketData = new ReplayMarketData({ data: all, speed: 0 });
  const store = new MemoryStore();
  const pipeline: PipelineConfig = { ...defaultPipelineConfig, ...(options.pipeline ?? {}) };
  const decisions: BacktestResult['decisions'] = [];
  const trader = new Trader(
    { ...defaultTraderConfig(options.symbols, pipeline), ...(options.trader ?? {}) },
    {
      exchange: paper,
      clock,
      logger: options.logger,
      rules,
      persist: async () => undefined,
      recordTrade: (trade) => store.putTrade(trade),
      onEvent: (event) => {
        if (event.kind === 'entry')
          decisions.push({
            id: event.position.entryClientOrderId,
            symbol: event.position.symbol,
            side: event.position.side,
            openedAt: event.position.openedAt,
            size: event.position.size,
            leverage: event.position.leverage,
          });
        options.onEvent?.(event);
      },
    },
    options.strategy,
  );
  const controller = new PositionController({ trader, exchange: paper, clock, logger: options.logger, intervalMs: CANDLE_MS });
  const lastCandleAt: Record<string, number> = {};
  let done = 0;
  let nextReport = 0;
  const stepDeps = { clock, venue: paper, trader, controller, candleMs: CANDLE_MS, lastCandleAt };
  await marketData.run(async (batch) => {
    await replayStep(stepDeps, batch);
    done += batch.length;
    if (options.onProgress !== undefined && done >= nextReport) {
      options.onProgress(done, total);
      nextReport = done + 5000;
    }
  });
  // Positions still open at the end are closed at the last price so the summary is complete.
  for (const position of trader.managedPositions()) trader.requestExit(position.symbol, 'shutdown');
  if (trader.hasWork()) {
    await controller.tick();
    const endAt = lastMs + CANDLE_MS;
    clock.set(endAt);
    // No next candle: the closes fill at the last price seen.
    for (const symbol of options.symbols) {
      const ticker = marketData.lastTicker(symbol);
      if (ticker !== null) paper.onTicker(symbol, ticker.last, ticker.mark ?? ticker.last, endAt);
    }
    await controller.tick();
  }
  options.onProgress?.(total, total);
  const trades = store.allTrades();
  const metrics = computeMetrics(trades, { fromMs: firstMs, toMs: lastMs + CANDLE_MS, startingEquityUsdt: options.equityUsdt });
  const exitReasons: Record<string, number> = {};
  for (const t of trades) exitReasons[t.exitReason] = (exitReasons[t.exitReason] ?? 0) + 1;
  const { warnings: sampleWarnings, ...figures } = metrics;
  return {
    summary: {
      ...figures,
      explorationTrades: trades.filter((t) => t.exploration).length,
      pnlUsdt: metrics.netPnlUsdt,
      maxDrawdownPct: metrics.maxDrawdownRate * 100,
      exposurePct: metrics.exposureRate * 100,
      cagrPct: metrics.cagrRate === null ? null : metrics.cagrRate * 100,
      averageLeverage: trades.length === 0 ? 0 : trades.reduce((s, t) => s + t.leverage, 0) / trades.length,
      exitReasons,
      from: new Date(firstMs).toISOString(),
      to: new Date(lastMs + CANDLE_MS).toISOString(),
      symbols: options.symbols,
      strategy: options.strategy,
      candles: total,
      warnings: [...warnings, ...sampleWarnings],
    },
    trades,
    decisions,
    elapsedMs: performance.now() - started,
  };
}
