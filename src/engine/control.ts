/**
 * The Control facade: everything an operator can ask or do, computed once and
 * transport-free (freqtrade's RPC core). Discord and the console render its results;
 * tests drive it directly. Every control action is written to the audit log.
 */
import type { SchedulerStats } from './execution/types.js';
import type { ControllerStats } from './position-controller.js';
import type { AuditEntry, Clock, EngineState, Exchange, Logger, ManagedPosition, Store } from './ports.js';
import type { ReportCards } from './reports.js';
import type { Trader } from './trader.js';
import type { PositionProtection, TradingStatus } from './trading-state.js';
import type { MarketDataSource, StrategyMode, TradeRecord, TradingMode } from './types.js';
import { isUtcDay, utcDayOf } from './utc-day.js';
import { UserInputError, describeError } from '../errors.js';

export interface StatusReport {
  readonly tradingMode: TradingMode;
  readonly marketData: MarketDataSource | 'replay (fallback)';
  readonly symbols: readonly string[];
  readonly paused: boolean;
  readonly strategyMode: StrategyMode;
  readonly effectiveMode: string;
  readonly grade: EngineState['grade'];
  readonly closedTradeCount: number;
  readonly coldStart: boolean;
  readonly openPositions: number;
  readonly equityUsdt: number | null;
  readonly availableBalanceUsdt: number | null;
  readonly controller: ControllerStats | null;
  readonly startedAt: number;
  /** active / reducing (no new entries) / halted (only protection), and why. */
  readonly engine: TradingStatus;
  /** Per managed position: is its protective stop on the exchange? */
  readonly protection: readonly PositionProtection[];
}

export interface PositionView extends ManagedPosition {
  readonly markPrice: number | null;
  readonly unrealizedPnlUsdt: number | null;
}

export interface ActionResult {
  readonly ok: boolean;
  readonly message: string;
}

export interface ControlDeps {
  readonly trader: Trader;
  readonly exchange: Exchange;
  readonly store: Store;
  /** Wall time: audit entries say when the operator acted. */
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly tradingMode: TradingMode;
  readonly marketData: StatusReport['marketData'];
  readonly symbols: readonly string[];
  readonly controllerStats: () => ControllerStats | null;
  /** Execution lanes, budget and breaker (null when no exchange requests are made: paper on replay). */
  readonly schedulerStats?: () => SchedulerStats | null;
  /** Persists the engine state after a change (paused, mode). */
  readonly persist: (reason: string) => Promise<void>;
  /** Runs the position controller now, so a close goes out without waiting for the next tick. */
  readonly tickNow?: () => Promise<void>;
  readonly startedAt: number;
  /** Channel subscriptions (the store's); absent where there is no transport to post to. */
  readonly subscriptions?: SubscriptionBook;
  /** Daily report cards and scores (src/reports); absent: "reports are not available". */
  readonly reports?: ReportCards;
  /** Process memory for /health (default: this process's). */
  readonly memoryUsage?: () => { readonly rssBytes: number; readonly heapUsedBytes: number };
  /** The promoted model for /health, when the learning side knows one. */
  readonly model?: () => { readonly version: string | null; readonly label: string };
  /** How long a close waits for its fills before answering (default 8 s). */
  readonly closeWaitMs?: number;
  /** The engine's trading state (active when not given). */
  readonly tradingState?: () => TradingStatus;
  /** Protection of each managed position, as last checked (the Trader's own check when not given). */
  readonly protection?: () => readonly PositionProtection[];
}

// ── additions for the command layer (src/commands) ─────────────────────────

export const SUBSCRIPTION_KINDS = ['reports', 'alerts', 'trades'] as const;
export type SubscriptionKindName = (typeof SUBSCRIPTION_KINDS)[number];

export interface ChannelSubscription {
  readonly channelId: string;
  readonly kinds: readonly SubscriptionKindName[];
  readonly addedAt: number;
}

/** Where subscriptions are kept (the keyv store's `subscriptions` repository satisfies it). */
export interface SubscriptionBook {
  add(channelId: string, kinds: readonly SubscriptionKindName[]): Promise<ChannelSubscription>;
  remove(channelId: string, kinds?: readonly SubscriptionKindName[]): Promise<ChannelSubscription | null>;
  list(kind?: SubscriptionKindName): Promise<ChannelSubscription[]>;
}

export interface HealthReport {
  readonly controller: ControllerStats | null;
  readonly lanes: SchedulerStats | null;
  readonly uptimeMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly model: { readonly version: string | null; readonly label: string };
  /** 'ok' or what went wrong reading the store. */
  readonly store: string;
}

export interface CloseOutcome {
  readonly message: string;
  /** Symbols whose close was sent now. */
  readonly requested: readonly string[];
  /** Trades recorded for those symbols since the close was sent. */
  readonly fills: readonly TradeRecord[];
  /** Requested symbols with no fill yet when the wait ended. */
  readonly pending: readonly string[];
}

export class Control {
  constructor(private readonly deps: ControlDeps) {}

  async status(): Promise<StatusReport> {
    const state = this.deps.trader.engineState();
    let equityUsdt: number | null = null;
    let availableBalanceUsdt: number | null = null;
    try {
      const balance = await this.deps.exchange.fetchBalance();
      equityUsdt = balance.equityUsdt;
      availableBalanceUsdt = balance.availableBalanceUsdt;
    } catch {
      // Status must answer even when the exchange does not.
    }
    return {
      tradingMode: this.deps.tradingMode,
      marketData: this.deps.marketData,
      symbols: this.deps.symbols,
      paused: state.paused,
      strategyMode: state.strategyMode,
      effectiveMode: this.deps.trader.effectiveMode().label,
      grade: state.grade,
      closedTradeCount: state.closedTradeCount,
      coldStart: state.closedTradeCount < 100,
      openPositions: this.deps.trader.managedPositions().length,
      equityUsdt,
      availableBalanceUsdt,
      controller: this.deps.controllerStats(),
      startedAt: this.deps.startedAt,
      engine: this.deps.tradingState?.() ?? { state: 'active', reason: null, since: null },
      protection: this.deps.protection?.() ?? this.deps.trader.protection(),
    };
  }

  /** For /health: the position loop, and the lanes (queue depth, waits, used weight, orders, breaker, last 429/418). */
  health(): { controller: ControllerStats | null; lanes: SchedulerStats | null; uptimeMs: number } {
    return {
      controller: this.deps.controllerStats(),
      lanes: this.deps.schedulerStats?.() ?? null,
      uptimeMs: this.deps.clock.now() - this.deps.startedAt,
    };
  }

  async positions(): Promise<PositionView[]> {
    const managed = this.deps.trader.managedPositions();
    let marks = new Map<string, { mark: number; pnl: number }>();
    try {
      const onExchange = await this.deps.exchange.fetchPositions(2);
      marks = new Map(onExchange.map((p) => [p.symbol, { mark: p.markPrice, pnl: p.unrealizedPnlUsdt }]));
    } catch {
      // Show what the engine knows.
    }
    return managed.map((p) => ({
      ...p,
      markPrice: marks.get(p.symbol)?.mark ?? null,
      unrealizedPnlUsdt: marks.get(p.symbol)?.pnl ?? null,
    }));
  }

  async trades(limit: number): Promise<TradeRecord[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UserInputError('limit must be a whole number from 1 to 500');
    return this.deps.store.recentTrades(limit);
  }

  /** Paused means no new entries; open positions are still managed and can be closed. */
  async pause(actor: string): Promise<ActionResult> {
    return this.audited(actor, 'pause', '', async () => {
      if (this.deps.trader.engineState().paused)
        return { ok: true, message: 'Already paused: no new entries; open positions are still managed.' };
      await this.changeAndPersist(
        () => this.deps.trader.setPaused(true),
        () => this.deps.trader.setPaused(false),
        'paused',
      );
      return { ok: true, message: 'Paused: no new entries; open positions are still managed and can be closed.' };
    });
  }

  async resume(actor: string): Promise<ActionResult> {
    return this.audited(actor, 'resume', '', async () => {
      if (!this.deps.trader.engineState().paused) return { ok: true, message: 'Not paused: trading as usual.' };
      await this.changeAndPersist(
        () => this.deps.trader.setPaused(false),
        () => this.deps.trader.setPaused(true),
        'resumed',
      );
      return { ok: true, message: 'Resumed: new entries allowed.' };
    });
  }

  async setMode(mode: string, actor: string): Promise<ActionResult> {
    return this.audited(actor, 'mode', mode, async () => {
      if (mode !== 'rules' && mode !== 'self_learning') throw new UserInputError(`mode must be rules or self_learning, not "${mode}"`);
      const before = this.deps.trader.engineState().strategyMode;
      await this.changeAndPersist(
        () => this.deps.trader.setStrategyMode(mode),
        () => this.deps.trader.setStrategyMode(before),
        `mode ${mode}`,
      );
      return { ok: true, message: `Strategy mode is now ${mode} (effective: ${this.deps.trader.effectiveMode().label}).` };
    });
  }

  /** Closes one symbol's position or all of them (priority 0). `emergency` marks the exit reason. */
  async close(target: string, actor: string, emergency = false): Promise<ActionResult> {
    return (await this.sendCloses(target, actor, emergency)).result;
  }

  private async sendCloses(target: string, actor: string, emergency: boolean): Promise<{ result: ActionResult; requested: string[] }> {
    return this.audited(actor, emergency ? 'emergency_close' : 'close', target, async () => {
      const positions = this.closeTargets(target);
      const all = target.toLowerCase() === 'all';
      if (positions.length === 0)
        throw new UserInputError(all ? 'There is no open position to close.' : `There is no open position on ${target.toUpperCase()}.`);
      // A position whose close is already out is not closed twice.
      const closing = positions.filter((p) => p.exitClientOrderId !== null);
      const requested = positions
        .filter((p) => p.exitClientOrderId === null)
        .filter((p) => this.deps.trader.requestExit(p.symbol, emergency ? 'emergency' : 'manual'))
        .map((p) => p.symbol);
      if (requested.length > 0) await this.deps.tickNow?.();
      const already = closing.map((p) => `${p.symbol} (${p.exitReason ?? 'close'})`);
      const parts = [
        ...(requested.length > 0 ? [`Close sent for ${requested.join(', ')}.`] : []),
        ...(already.length > 0 ? [`Already closing: ${already.join(', ')}.`] : []),
      ];
      return { result: { ok: true, message: parts.join(' ') }, requested };
    });
  }

  /** Writes a refused control action (e.g. a user without the operator role) to the audit log. */
  async auditDenied(actor: string, action: string, detail: string): Promise<void> {
    await this.audited(actor, action, detail, () => Promise.reject(new UserInputError('not allowed'))).catch(() => undefined);
  }

  /** The configured symbols (autocomplete). */
  symbols(): readonly string[] {
    return this.deps.symbols;
  }

  /** Wall time of the facade's clock. */
  now(): number {
    return this.deps.clock.now();
  }

  /** The open positions a close of `target` (a symbol or "all") would act on. */
  closeTargets(target: string): ManagedPosition[] {
    const all = target.toLowerCase() === 'all';
    return this.deps.trader.managedPositions().filter((p) => all || p.symbol === target.toUpperCase());
  }

  /**
   * Closes like `close`, then waits (bounded by `closeWaitMs`) for the closes to fill and
   * returns the trades they produced. A close still unfilled when the wait ends is listed
   * as pending: the controller keeps working on it.
   */
  async closeAndReport(target: string, actor: string, emergency = false): Promise<CloseOutcome> {
    const since = this.deps.clock.now();
    const { result, requested } = await this.sendCloses(target, actor, emergency);
    const waitMs = this.deps.closeWaitMs ?? 8_000;
    const stepMs = 250;
    let fills: TradeRecord[];
    for (let waited = 0; ; waited += stepMs) {
      fills = await this.fillsSince(requested, since);
      const filled = new Set(fills.map((t) => t.symbol));
      if (requested.every((s) => filled.has(s) || !this.isOpen(s)) || waited >= waitMs) break;
      await this.deps.clock.sleep(stepMs);
    }
    const filled = new Set(fills.map((t) => t.symbol));
    return { message: result.message, requested, fills, pending: requested.filter((s) => !filled.has(s) && this.isOpen(s)) };
  }

  private isOpen(symbol: string): boolean {
    return this.deps.trader.managedPositions().some((p) => p.symbol === symbol);
  }

  private async fillsSince(symbols: readonly string[], sinceMs: number): Promise<TradeRecord[]> {
    if (symbols.length === 0) return [];
    const recent = await this.deps.store.recentTrades(Math.min(500, Math.max(20, symbols.length * 4)));
    const newest = new Map<string, TradeRecord>();
    for (const t of recent) if (symbols.includes(t.symbol) && t.closedAt >= sinceMs && !newest.has(t.symbol)) newest.set(t.symbol, t);
    return [...newest.values()];
  }

  /** Trades filtered by symbol or UTC day (newest first, at most `limit`). */
  async tradesWhere(filter: { readonly limit: number; readonly symbol?: string; readonly dayUtc?: string }): Promise<TradeRecord[]> {
    const { limit } = filter;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UserInputError('limit must be a whole number from 1 to 500');
    if (filter.dayUtc !== undefined && !isUtcDay(filter.dayUtc))
      throw new UserInputError(`day must be a date like 2026-11-30, not "${filter.dayUtc}"`);
    if (filter.symbol !== undefined) {
      const symbol = filter.symbol.toUpperCase();
      if (!this.deps.symbols.includes(symbol))
        throw new UserInputError(`${symbol} is not traded here (symbols: ${this.deps.symbols.join(', ')})`);
      const bySymbol = await this.deps.store.tradesBySymbol(symbol, filter.dayUtc === undefined ? limit : 500);
      return bySymbol.filter((t) => filter.dayUtc === undefined || utcDayOf(t.closedAt) === filter.dayUtc).slice(0, limit);
    }
    if (filter.dayUtc !== undefined) {
      const byDay = await this.deps.store.tradesByDay(filter.dayUtc);
      return [...byDay].sort((a, b) => b.closedAt - a.closedAt).slice(0, limit);
    }
    return this.deps.store.recentTrades(limit);
  }

  /** Net realised P&L and trade count of a UTC day (default today, wall time). */
  async dayPnl(
    dayUtc: string = utcDayOf(this.deps.clock.now()),
  ): Promise<{ readonly dayUtc: string; readonly pnlUsdt: number; readonly trades: number }> {
    const trades = await this.deps.store.tradesByDay(dayUtc);
    return { dayUtc, pnlUsdt: trades.reduce((sum, t) => sum + t.pnlUsdt, 0), trades: trades.length };
  }

  /** /health: the loop, the lanes, memory, the store and the model. */
  async healthReport(): Promise<HealthReport> {
    const base = this.health();
    const memory =
      this.deps.memoryUsage?.() ??
      (() => {
        const m = process.memoryUsage();
        return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
      })();
    let store = 'ok';
    try {
      await this.deps.store.recentTrades(1);
    } catch (error) {
      store = `unreadable: ${describeError(error)}`;
    }
    const model = this.deps.model?.() ?? { version: null, label: this.deps.trader.effectiveMode().label };
    return { ...base, rssBytes: memory.rssBytes, heapUsedBytes: memory.heapUsedBytes, model, store };
  }

  /** The reports side, or a clear error when this build has none wired. */
  reportCards(): ReportCards {
    if (this.deps.reports === undefined) throw new UserInputError('reports are not available in this process yet');
    return this.deps.reports;
  }

  hasReports(): boolean {
    return this.deps.reports !== undefined;
  }

  async subscribe(channelId: string, kinds: readonly SubscriptionKindName[], actor: string): Promise<ChannelSubscription> {
    return this.audited(actor, 'subscribe', `${channelId} ${kinds.join(',')}`, () => this.book().add(channelId, kinds));
  }

  async unsubscribe(
    channelId: string,
    kinds: readonly SubscriptionKindName[] | undefined,
    actor: string,
  ): Promise<ChannelSubscription | null> {
    return this.audited(actor, 'unsubscribe', `${channelId} ${kinds?.join(',') ?? 'all'}`, () => this.book().remove(channelId, kinds));
  }

  async subscriptionsOf(channelId: string): Promise<ChannelSubscription | null> {
    return (await this.book().list()).find((s) => s.channelId === channelId) ?? null;
  }

  private book(): SubscriptionBook {
    if (this.deps.subscriptions === undefined) throw new UserInputError('subscriptions are not available without a Discord transport');
    return this.deps.subscriptions;
  }

  /** Applies a state change and persists it; undoes it when it cannot be saved (store and engine agree). */
  private async changeAndPersist(apply: () => void, undo: () => void, reason: string): Promise<void> {
    apply();
    try {
      await this.deps.persist(reason);
    } catch (error) {
      undo();
      throw error;
    }
  }

  private async audited<T>(actor: string, action: string, detail: string, run: () => Promise<T>): Promise<T> {
    const at = this.deps.clock.now();
    let result: AuditEntry['result'] = 'ok';
    try {
      const outcome = await run();
      return outcome;
    } catch (error) {
      result = error instanceof UserInputError ? 'denied' : 'error';
      throw error;
    } finally {
      await this.deps.store.appendAudit({ at, actor, action, detail, result }).catch((error: unknown) => {
        // The audit log must not block the action, but it must not vanish silently either.
        const message = `audit log write failed: ${describeError(error)}`;
        if (this.deps.logger === undefined) console.error(message);
        else this.deps.logger.child('control').error(message, { actor, action, detail, result });
      });
    }
  }
}
