/**
 * What the Trader's modules share: its configuration and dependencies, the mutable
 * book of positions and orders, and small helpers. Every module of `src/engine/trader/`
 * works on one `TraderContext`; `Trader` (../trader.ts) owns it.
 */
import type { PipelineConfig } from '../pipeline.js';
import type { Clock, EngineState, Exchange, Logger, ManagedPosition, PendingOrder } from '../ports.js';
import { RuleStatistics } from '../rule-stats.js';
import { RuleBasedSignalGenerator } from '../signals.js';
import { CANDLE_MS, type Balance, type ExitReason, type Side, type StrategyMode, type SymbolRules, type TradeRecord } from '../types.js';
import type { ExitAdvisor, Predictor } from './predictor.js';

export interface TraderConfig {
  readonly symbols: readonly string[];
  readonly pipeline: PipelineConfig;
  readonly positionControlMode: StrategyMode;
  /** Share of the signals refused only by the model thresholds taken anyway (BLUEPRINT optimisation 2). */
  readonly explorationRate: number;
  readonly explorationSeed: number;
  /** 0 disables the time stop. */
  readonly timeStopMs: number;
  readonly balanceRefreshMs: number;
  /** A market entry not filled within this time is cancelled. */
  readonly entryTimeoutMs: number;
  readonly unknownPositions: 'adopt' | 'report';
  /** Base SL of an adopted position (fraction of its entry). */
  readonly adoptedBaseSlRate: number;
}

/** The trader's defaults (backtests, tests); `src/runtime.ts` overrides what the Config sets. */
export function defaultTraderConfig(symbols: readonly string[], pipeline: PipelineConfig): TraderConfig {
  return {
    symbols,
    pipeline,
    positionControlMode: 'rules',
    explorationRate: 0.05,
    explorationSeed: 20251010,
    timeStopMs: 24 * 3_600_000,
    balanceRefreshMs: 10_000,
    entryTimeoutMs: 60_000 + CANDLE_MS,
    unknownPositions: 'report',
    adoptedBaseSlRate: 0.01,
  };
}

export type TraderEvent =
  | { readonly kind: 'entry'; readonly position: ManagedPosition }
  | { readonly kind: 'exit'; readonly trade: TradeRecord }
  | {
      readonly kind: 'refused';
      readonly symbol: string;
      readonly side: Side;
      readonly reasons: readonly string[];
      readonly codes: readonly string[];
    }
  | { readonly kind: 'warning'; readonly message: string }
  | { readonly kind: 'safety'; readonly safety: SafetyEvent };

/**
 * What happened to a position's protection or to the engine's right to trade, typed (alerts
 * are wired from these, never from warning text):
 *   unprotected          the position's stop could not be placed (retried every tick)
 *   stop_replaced        its stop was missing on the exchange and was placed again
 *   stop_missing_closing its stop was missing with the mark through its level: closing
 *   tp_replaced          its take-profit was missing and was placed again
 *   adopted              an unknown position was taken over with its stop
 *   adopted_unprotected  an unknown position was taken over but its stop was refused
 *   close_held           a close refused during an IP ban waits for the ban to lift (or the price to move)
 *   closed_outside       a position closed outside the bot; its record may be estimated
 */
export type SafetyKind =
  | 'unprotected'
  | 'stop_replaced'
  | 'stop_missing_closing'
  | 'tp_replaced'
  | 'adopted'
  | 'adopted_unprotected'
  | 'close_held'
  | 'closed_outside';

export interface SafetyEvent {
  readonly kind: SafetyKind;
  readonly symbol: string | null;
  readonly detail: string;
}

/** The engine's right to open positions (the trading state: active, reducing, halted) and what errors do to it. */
export interface EntryGate {
  /** True only while active. */
  canEnter(): boolean;
  status(): { readonly state: string; readonly reason: string | null };
  /** Acts on an error's declared reaction (insufficient funds → reducing, revoked key → halted). */
  observe(error: unknown, context: string): unknown;
}

export interface TraderDeps {
  readonly exchange: Exchange;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rules: ReadonlyMap<string, SymbolRules>;
  /** Saves the engine snapshot (and the paper venue with it). Awaited: persist before acting. */
  readonly persist: (reason: string) => Promise<void>;
  /** Stores a closed trade (idempotent by id). */
  readonly recordTrade: (trade: TradeRecord) => Promise<void>;
  readonly onEvent?: (event: TraderEvent) => void;
  /** Win probability and confidence of a proposed signal; default: the per-rule statistics. */
  readonly predictor?: Predictor;
  /** Model exits: asked at each controller tick whether to close a position early; default: none. */
  readonly exitAdvisor?: ExitAdvisor;
  /** Whether new entries are allowed (the engine's trading state); always when absent (backtests). */
  readonly entryGate?: EntryGate;
}

/** What `onCandles` returns when it had nothing asynchronous to do (callers may skip awaiting it). */
export const NOTHING_TO_DO: Promise<void> = Promise.resolve();

export const initialEngineState = (strategyMode: StrategyMode): EngineState => ({
  paused: false,
  strategyMode,
  grade: null,
  closedTradeCount: 0,
  explorationTaken: 0,
  explorationSeen: 0,
});

/** Last trade price per symbol (from candle closes) and mark (from the controller's position reads). */
export interface LastPrice {
  price: number;
  mark: number;
  at: number;
}

/** A retry delay in force: nothing until `until`; the next failure doubles `delayMs`. */
export interface Backoff {
  readonly until: number;
  readonly delayMs: number;
}

const BACKOFF_FIRST_MS = 4_000;
const BACKOFF_MAX_MS = 60_000;

/** The next retry delay after a failure: 4 s (two ticks) first, then doubling to at most a minute. */
export function nextBackoffMs(previous: Backoff | undefined): number {
  return Math.min(BACKOFF_MAX_MS, previous === undefined ? BACKOFF_FIRST_MS : previous.delayMs * 2);
}

/** A close refused by a rate limit: when the ban lifts, and the prices when it was last tried. */
export interface CloseHold {
  readonly until: number;
  readonly price: number | null;
  readonly mark: number | null;
}

/** The Trader's mutable state: everything its modules read and change. */
export class TraderBook {
  state: EngineState;
  readonly positions = new Map<string, ManagedPosition>();
  /** Order intents by client order id (the order journal). */
  readonly pending = new Map<string, PendingOrder>();
  readonly generators = new Map<string, RuleBasedSignalGenerator>();
  readonly lastPrice = new Map<string, LastPrice>();
  /** Symbols whose latest signal points against the open position. */
  readonly reversals = new Set<string>();
  /** Exits asked for (manual, emergency, refused close, …), executed at the next tick. */
  readonly exitRequests = new Map<string, ExitReason>();
  ruleStats = new RuleStatistics();
  balanceCache: { value: Balance; at: number } | null = null;
  /** Client order ids whose `placeOrder` is in flight: the controller must not settle them meanwhile. */
  readonly sending = new Set<string>();
  /** Positions known to be without their stop, and why. */
  readonly unprotected = new Map<string, string>();
  /** Symbols whose controller tick failed: skipped until `until` (see `nextBackoffMs`). */
  readonly tickBackoff = new Map<string, Backoff>();
  /** Symbols whose take-profit was refused: tried again at `until`. */
  readonly takeProfitRetry = new Map<string, Backoff>();
  /** Closes refused by a rate limit, held until the ban lifts or the price moves (close-hold.ts). */
  readonly closeHolds = new Map<string, CloseHold>();

  constructor(symbols: readonly string[], strategyMode: StrategyMode) {
    this.state = initialEngineState(strategyMode);
    for (const symbol of symbols) this.generators.set(symbol, new RuleBasedSignalGenerator());
  }

  countPendingEntries(): number {
    let n = 0;
    for (const order of this.pending.values()) if (order.purpose === 'entry') n++;
    return n;
  }

  hasPendingEntry(symbol?: string): boolean {
    if (this.pending.size === 0) return false; // the common case, asked at every replayed candle: no iterator
    for (const order of this.pending.values()) {
      if (order.purpose === 'entry' && (symbol === undefined || order.request.symbol === symbol)) return true;
    }
    return false;
  }
}

export interface TraderContext {
  readonly config: TraderConfig;
  readonly deps: TraderDeps;
  readonly book: TraderBook;
  readonly log: Logger;
  readonly predictor: Predictor;
  readonly exitAdvisor: ExitAdvisor | null;
}

/** Logs a warning and tells the operator (onEvent). */
export function warn(ctx: TraderContext, message: string): void {
  ctx.log.warn(message);
  ctx.deps.onEvent?.({ kind: 'warning', message });
}

/** Logs a warning and emits the typed safety event (alerts are wired from it). */
export function safety(ctx: TraderContext, kind: SafetyKind, symbol: string | null, detail: string): void {
  ctx.log.warn(detail, { safety: kind, ...(symbol !== null ? { symbol } : {}) });
  ctx.deps.onEvent?.({ kind: 'safety', safety: { kind, symbol, detail } });
}

/** The mode decisions are made in: grade C and "no model yet" mean rules (BLUEPRINT grades). */
export function effectiveMode(state: EngineState, modelReady = false): { mode: StrategyMode; label: string } {
  if (state.grade === 'C') return { mode: 'rules', label: 'rules (grade C)' };
  if (state.strategyMode === 'rules') return { mode: 'rules', label: 'rules' };
  if (modelReady) return { mode: 'self_learning', label: 'self_learning' };
  // No promoted model yet: trade on rule statistics.
  return { mode: 'rules', label: 'rules (no model yet)' };
}

/** The Trader's effective mode now (the strategy mode, grade C and whether a model is ready). */
export function modeOf(ctx: TraderContext): { mode: StrategyMode; label: string } {
  return effectiveMode(ctx.book.state, ctx.predictor.modelReady?.() ?? false);
}

export const sideSign = (side: Side): 1 | -1 => (side === 'long' ? 1 : -1);
export const entrySide = (side: Side): 'buy' | 'sell' => (side === 'long' ? 'buy' : 'sell');
export const exitSide = (side: Side): 'buy' | 'sell' => (side === 'long' ? 'sell' : 'buy');
