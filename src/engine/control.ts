/**
 * The Control facade: everything an operator can ask or do, computed once and
 * transport-free (freqtrade's RPC core). Discord and the console render its results;
 * tests drive it directly. Every control action is written to the audit log.
 */
import type { SchedulerStats } from './execution/types.js';
import type { ControllerStats } from './position-controller.js';
import type { AuditEntry, Clock, EngineState, Exchange, Logger, ManagedPosition, Store } from './ports.js';
import type { Trader } from './trader.js';
import type { MarketDataSource, StrategyMode, TradeRecord, TradingMode } from './types.js';
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
    return managed.map((p) => ({ ...p, markPrice: marks.get(p.symbol)?.mark ?? null, unrealizedPnlUsdt: marks.get(p.symbol)?.pnl ?? null }));
  }

  async trades(limit: number): Promise<TradeRecord[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UserInputError('limit must be a whole number from 1 to 500');
    return this.deps.store.recentTrades(limit);
  }

  /** Paused means no new entries; open positions are still managed and can be closed. */
  async pause(actor: string): Promise<ActionResult> {
    return this.audited(actor, 'pause', '', async () => {
      if (this.deps.trader.engineState().paused) return { ok: true, message: 'Already paused: no new entries; open positions are still managed.' };
      await this.changeAndPersist(() => this.deps.trader.setPaused(true), () => this.deps.trader.setPaused(false), 'paused');
      return { ok: true, message: 'Paused: no new entries; open positions are still managed and can be closed.' };
    });
  }

  async resume(actor: string): Promise<ActionResult> {
    return this.audited(actor, 'resume', '', async () => {
      if (!this.deps.trader.engineState().paused) return { ok: true, message: 'Not paused: trading as usual.' };
      await this.changeAndPersist(() => this.deps.trader.setPaused(false), () => this.deps.trader.setPaused(true), 'resumed');
      return { ok: true, message: 'Resumed: new entries allowed.' };
    });
  }

  async setMode(mode: string, actor: string): Promise<ActionResult> {
    return this.audited(actor, 'mode', mode, async () => {
      if (mode !== 'rules' && mode !== 'self_learning') throw new UserInputError(`mode must be rules or self_learning, not "${mode}"`);
      const before = this.deps.trader.engineState().strategyMode;
      await this.changeAndPersist(() => this.deps.trader.setStrategyMode(mode), () => this.deps.trader.setStrategyMode(before), `mode ${mode}`);
      return { ok: true, message: `Strategy mode is now ${mode} (effective: ${this.deps.trader.effectiveMode().label}).` };
    });
  }

  /** Closes one symbol's position or all of them (priority 0). `emergency` marks the exit reason. */
  async close(target: string, actor: string, emergency = false): Promise<ActionResult> {
    return this.audited(actor, emergency ? 'emergency_close' : 'close', target, async () => {
      const all = target.toLowerCase() === 'all';
      const positions = this.deps.trader.managedPositions().filter((p) => all || p.symbol === target.toUpperCase());
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
      return { ok: true, message: parts.join(' ') };
    });
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

  private async audited(actor: string, action: string, detail: string, run: () => Promise<ActionResult>): Promise<ActionResult> {
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
