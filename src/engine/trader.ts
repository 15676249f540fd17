/**
 * SelfLearningTrader: the decision maker (BLUEPRINT.md "Core engine").
 *
 * closed candle → features → signal → win probability/confidence → the ordered
 * "From signal to order" pipeline (pipeline.ts) → entry order → SL/TP from the fill →
 * managed by the PositionController → close → trade record.
 *
 * Same code in backtest, paper and live: only the Exchange, MarketData and Clock differ.
 * State that must survive a restart is persisted (through `persist`) before an order
 * is sent and after its result is known (STYLE.md §6).
 *
 * `Trader` is the coordinator; the work lives in `./trader/`, one module per responsibility:
 * entries.ts (planning and sending entries), journal.ts (the order journal: persist, send,
 * persist), settlement.ts (orders settled by client order id), protection.ts (SL/TP, closes),
 * exits.ts (the controller's tick), finalise.ts + trade-record.ts (trade records),
 * reconcile.ts (start-up reconciliation and adoption), predictor.ts (the self-learning plugs).
 */
import type { ClosedCandle, EngineSnapshot, EngineState, Grade, ManagedPosition, PendingOrder } from './ports.js';
import { RuleStatistics } from './rule-stats.js';
import { CANDLE_MS, type Candle, type ExchangePosition, type ExitReason, type OrderState, type StrategyMode } from './types.js';
import { type TraderConfig, type TraderContext, type TraderDeps, TraderBook, modeOf } from './trader/context.js';
import { onCandles } from './trader/entries.js';
import { controlTick, controlTickFromOwnState, idleTick } from './trader/exits.js';
import { ruleStatisticsPredictor } from './trader/predictor.js';
import { reconcile } from './trader/reconcile.js';
import { unprotected } from './trader/guard.js';
import type { PositionProtection } from './trading-state.js';

export {
  NOTHING_TO_DO,
  defaultTraderConfig,
  initialEngineState,
  type TraderConfig,
  type TraderDeps,
  type EntryGate,
  type SafetyEvent,
  type SafetyKind,
  type TraderEvent,
} from './trader/context.js';
export {
  ruleStatisticsPredictor,
  type ExitAdviceRequest,
  type ExitAdvisor,
  type PredictionRequest,
  type Predictor,
} from './trader/predictor.js';

type TraderSnapshot = Pick<EngineSnapshot, 'state' | 'positions' | 'pendingOrders' | 'ruleStatistics'>;

export class Trader {
  private readonly book: TraderBook;
  private readonly ctx: TraderContext;

  constructor(config: TraderConfig, deps: TraderDeps, strategyMode: StrategyMode) {
    this.book = new TraderBook(config.symbols, strategyMode);
    this.ctx = {
      config,
      deps,
      book: this.book,
      log: deps.logger.child('trader'),
      predictor: deps.predictor ?? ruleStatisticsPredictor,
      exitAdvisor: deps.exitAdvisor ?? null,
    };
  }

  // ── state ────────────────────────────────────────────────────────────────

  engineState(): EngineState {
    return this.book.state;
  }

  managedPositions(): ManagedPosition[] {
    return [...this.book.positions.values()];
  }

  pendingOrders(): PendingOrder[] {
    return [...this.book.pending.values()];
  }

  /**
   * Whether each managed position has its stop, as last checked: a stop that could not be
   * placed is "unprotected" with the reason (Control's status, /status and the console show it).
   */
  protection(): PositionProtection[] {
    const missing = unprotected(this.ctx);
    return this.managedPositions().map((p) => {
      const why = missing.get(p.symbol) ?? (p.slClientOrderId === null ? 'no stop order on record' : null);
      return { symbol: p.symbol, stopProtected: why === null, detail: why };
    });
  }

  hasPendingEntries(): boolean {
    return this.book.hasPendingEntry();
  }

  /** Whether the position controller has anything to evaluate (replay skips empty ticks). */
  hasWork(): boolean {
    return this.book.positions.size > 0 || this.book.pending.size > 0;
  }

  /** What the snapshot stores of the trader (the caller adds venue and candle positions). */
  exportState(): TraderSnapshot {
    return {
      state: this.book.state,
      positions: this.managedPositions(),
      pendingOrders: this.pendingOrders(),
      ruleStatistics: this.book.ruleStats.toJSON(),
    };
  }

  restoreState(snapshot: TraderSnapshot): void {
    const { book } = this;
    book.state = { ...snapshot.state };
    book.positions.clear();
    for (const p of snapshot.positions) book.positions.set(p.symbol, p);
    book.pending.clear();
    for (const o of snapshot.pendingOrders) book.pending.set(o.request.clientOrderId, o);
    book.ruleStats = RuleStatistics.fromJSON(snapshot.ruleStatistics);
  }

  setPaused(paused: boolean): void {
    this.book.state = { ...this.book.state, paused };
  }

  /**
   * The operator's mode. Choosing self_learning while grade C holds the engine in pure rules
   * mode lifts that hold (issue 14: self-learning resumes by an operator's /mode self_learning);
   * the next daily report grades again.
   */
  setStrategyMode(mode: StrategyMode): void {
    const grade = mode === 'self_learning' && this.book.state.grade === 'C' ? null : this.book.state.grade;
    this.book.state = { ...this.book.state, strategyMode: mode, grade };
  }

  /** The model grade from the daily report (BLUEPRINT grades: S sizes up, C trades in pure rules mode). */
  setGrade(grade: Grade | null): void {
    this.book.state = { ...this.book.state, grade };
  }

  /** Asks the position controller to close a position at its next tick (manual, emergency, shutdown). */
  requestExit(symbol: string, reason: ExitReason): boolean {
    if (!this.book.positions.has(symbol)) return false;
    this.book.exitRequests.set(symbol, reason);
    return true;
  }

  /** The mode decisions are made in: grade C and "no model yet" mean rules (BLUEPRINT grades). */
  effectiveMode(): { mode: StrategyMode; label: string } {
    return modeOf(this.ctx);
  }

  /** Feeds warm-up history to the signal generators (no decisions). */
  warmUp(symbol: string, candles: readonly Candle[]): void {
    const generator = this.book.generators.get(symbol);
    if (generator === undefined) return;
    const { predictor } = this.ctx;
    for (const candle of candles) {
      generator.update(candle);
      predictor.observe?.(symbol, candle, null, candle.timestamp + CANDLE_MS);
    }
  }

  // ── work ─────────────────────────────────────────────────────────────────

  /** A batch of closed candles (one close time): update signals, flag reversals, try entries. */
  onCandles(batch: readonly ClosedCandle[]): Promise<void> {
    return onCandles(this.ctx, batch);
  }

  /** The position controller's tick with the exchange's positions (fetched once by the controller). */
  controlTick(exchangePositions: readonly ExchangePosition[]): Promise<void> {
    return controlTick(this.ctx, exchangePositions);
  }

  /**
   * The controller's tick on a venue read without requests, when it has nothing to do: true
   * when done (the marks updated, nothing else to change), false to run `controlTick` (exits.ts).
   */
  idleTick(exchangePositions: readonly ExchangePosition[], openOrdersOf: (symbol: string) => readonly OrderState[]): boolean {
    return idleTick(this.ctx, exchangePositions, openOrdersOf);
  }

  /** The tick while the exchange cannot be read: exits from the engine's own state (exits.ts). */
  controlTickFromOwnState(): Promise<void> {
    return controlTickFromOwnState(this.ctx);
  }

  /** Start-up reconciliation with the exchange; returns a one-paragraph summary. */
  reconcile(): Promise<string> {
    return reconcile(this.ctx);
  }
}
