/**
 * The reports side of the composition root, in one call: the alert center, the daily
 * report service, its midnight trigger and the catch-up.
 *
 * Replay (the engine clock is a ManualClock moved by the data): the trigger is a timer on
 * that clock, and the midnights it sees are generated in `afterBatch()`, which the replay
 * loop awaits after each batch. A timer fires inside `clock.set`, before the batch's last
 * trades are recorded; waiting for the batch's end gives the report every trade of its day,
 * and a replay never runs ahead of its report (deterministic).
 * Live data (wall clock): node-schedule at 00:00 UTC, and a catch-up at start.
 */
import type { Config } from '../config.js';
import { AlertCenter, type AlertCondition } from '../engine/alerts.js';
import type { BreakerTransition } from '../engine/execution/breaker.js';
import type { SafetyEvent, TraderEvent } from '../engine/trader.js';
import type { AuditEntry, Clock, DailyReportArchive, Grade, Logger, Notifier, Store } from '../engine/ports.js';
import type { ModeChange, ModelInfo } from '../engine/reports.js';
import type { TradeRecord } from '../engine/types.js';
import { describeError } from '../errors.js';
import { chartRenderer } from './charts.js';
import { ClockMidnightTrigger, NodeScheduleMidnightTrigger, type MidnightTrigger } from './schedule.js';
import { DailyReports, type DailyReportsDeps, type ReportShadow } from './service.js';

export interface ReportsWiringDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Pick<Store, 'tradesByDay' | 'appendAudit'>;
  /** null (the backtest): reports only grade the engine; nothing is kept or sent (service.ts). */
  readonly archive: DailyReportArchive | null;
  /** The engine's clock (market time in a replay). */
  readonly engineClock: Clock;
  /** Wall time (the lanes' breaker runs on it). */
  readonly wallClock: Clock;
  /** true: the engine clock is moved by replayed data (reports run in `afterBatch`). */
  readonly replay: boolean;
  /** Where notices go: the Discord outbox, or a log notifier. */
  readonly transport: Notifier;
  /** Does the transport show images (Discord)? Charts are rendered only then. */
  readonly transportShowsCharts: boolean;
  /** Wallet balance now (realised equity), or null. */
  readonly walletBalanceUsdt: () => Promise<number | null>;
  readonly equitySource: 'exchange' | 'venue';
  readonly grade: () => Grade | null;
  /** Sets the engine's grade (null: none, which lifts grade C) and persists the state. */
  readonly setGrade: (grade: Grade | null) => Promise<void>;
  /** Grade C: the model's shadow score and the automatic resume (src/engine/learning); absent: neither. */
  readonly shadow?: ReportShadow;
  /** Recent audit entries (mode changes); absent: none listed. */
  readonly recentAudit?: (limit: number) => Promise<AuditEntry[]>;
  readonly model?: () => ModelInfo;
  /** Where the files go; default `REPORTS_DIR`; null: database only. */
  readonly dir?: string | null;
  /** true (the backtest): alerts are kept for `alerts.firedBetween` but not logged one by one. */
  readonly quietAlerts?: boolean;
}

export interface ReportsWiring {
  /** The ReportCards port for Control. */
  readonly cards: DailyReports;
  /** The AlertSink for everyone else. */
  readonly alerts: AlertCenter;
  /** Starts the midnight schedule and catches up missed days (replay: call it after the first batch). */
  start(): void;
  /**
   * Replay: generates the reports of the midnights passed in the batch (and finishes the
   * catch-up). Nothing (no promise made) when there was nothing to do: the replay goes on.
   */
  afterBatch(): Promise<void> | undefined;
  /** Raises the trade's liquidation / 100 % loss alerts. */
  onTrade(trade: TradeRecord): void;
  /** The Trader's events: exits (trade alerts) and typed safety events (stop missing, adoption). */
  onTraderEvent(event: TraderEvent): void;
  /** The lanes' breaker: an alert when it blocks. */
  onBreakerTransition(transition: BreakerTransition, blockedUntil: number | null): void;
  /** Stops the schedule and waits for a report in progress. */
  stop(): Promise<void>;
}

const MODE_ACTIONS = new Set(['mode', 'grade']);

/**
 * The alert a typed safety event stands for (the Trader emits them; no warning text is
 * parsed): a position without its stop (refused, found missing, missing with the mark through
 * it, adopted but refused) is an unprotected position; an adoption or a position closed
 * outside the bot is a reconciliation surprise. A re-placed take-profit or a close held
 * during an IP ban (the breaker alert covers the ban) is only logged.
 */
export function alertForSafetyEvent(event: SafetyEvent): AlertCondition | null {
  switch (event.kind) {
    case 'unprotected':
    case 'stop_replaced':
    case 'stop_missing_closing':
    case 'adopted_unprotected':
      return event.symbol === null
        ? { kind: 'reconciliation', symbol: null, detail: event.detail }
        : { kind: 'unprotected_position', symbol: event.symbol, detail: event.detail };
    case 'adopted':
    case 'closed_outside':
      return { kind: 'reconciliation', symbol: event.symbol, detail: event.detail };
    case 'tp_replaced':
    case 'close_held':
      return null;
  }
}

/** The report card's settings from the configuration: the running bot's and `npm run report`'s. */
export function dailyReportSettings(
  config: Config,
): Pick<DailyReportsDeps, 'fallbackEquityUsdt' | 'charts' | 'windowDays' | 'minTrades' | 'gradeSSizeMultiplier'> {
  return {
    fallbackEquityUsdt: config.paper.startingBalanceUsdt,
    charts: chartRenderer({ quickchartUrl: config.reports.quickchartUrl }),
    windowDays: config.reports.scoreWindowDays,
    minTrades: config.reports.scoreMinTrades,
    gradeSSizeMultiplier: config.gradeSSizeMultiplier,
  };
}

export function wireReports(deps: ReportsWiringDeps): ReportsWiring {
  const log = deps.logger.child('reports');
  const alerts = new AlertCenter({ notifier: deps.transport, clock: deps.engineClock, ...(deps.quietAlerts === true ? {} : { logger: deps.logger }) });
  const modeChanges = async (fromMs: number, toMs: number): Promise<ModeChange[]> => {
    if (deps.recentAudit === undefined) return [];
    const entries = await deps.recentAudit(500);
    return entries
      .filter((e) => MODE_ACTIONS.has(e.action) && e.result === 'ok' && e.at >= fromMs && e.at < toMs)
      .sort((a, b) => a.at - b.at)
      .map((e) => ({ at: e.at, actor: e.actor, action: e.action, detail: e.detail }));
  };
  const cards = new DailyReports({
    store: deps.store,
    archive: deps.archive,
    clock: deps.engineClock,
    logger: deps.logger,
    notifier: deps.transport,
    alerts,
    equity: async () => {
      const usdt = await deps.walletBalanceUsdt();
      return usdt === null ? null : { usdt, source: deps.equitySource };
    },
    ...dailyReportSettings(deps.config),
    engine: {
      grade: deps.grade,
      applyGrade: async (grade, reason) => {
        const before = deps.grade();
        await deps.setGrade(grade);
        log.info(`grade ${before ?? '—'} → ${grade} (${reason})`);
        await deps.store
          .appendAudit({ at: deps.engineClock.now(), actor: 'evaluator', action: 'grade', detail: `${before ?? '—'} → ${grade}: ${reason}`, result: 'ok' })
          .catch((error: unknown) => log.warn(`audit of the grade change failed: ${describeError(error)}`));
      },
      resumeSelfLearning: async (reason) => {
        const before = deps.grade();
        await deps.setGrade(null);
        log.info(`grade ${before ?? '—'} → — : self-learning resumed (${reason})`);
        await deps.store
          .appendAudit({ at: deps.engineClock.now(), actor: 'evaluator', action: 'mode', detail: `self_learning resumed: ${reason}`, result: 'ok' })
          .catch((error: unknown) => log.warn(`audit of the resume failed: ${describeError(error)}`));
      },
    },
    ...(deps.shadow !== undefined ? { shadow: deps.shadow } : {}),
    modeChanges,
    ...(deps.model !== undefined ? { model: deps.model } : {}),
    attachCharts: deps.transportShowsCharts,
    dir: deps.dir === undefined ? deps.config.reports.dir : deps.dir,
  });

  const trigger: MidnightTrigger = deps.replay ? new ClockMidnightTrigger(deps.engineClock) : new NodeScheduleMidnightTrigger();
  const due: number[] = [];
  let started = false;
  let catchingUp: Promise<unknown> | null = null;

  return {
    cards,
    alerts,
    start() {
      if (started) return;
      started = true;
      catchingUp = cards.catchUp();
      trigger.start((midnight) => {
        if (deps.replay) due.push(midnight);
        else void cards.onMidnight(midnight);
      });
    },
    afterBatch() {
      if (catchingUp === null && due.length === 0) return undefined;
      return (async () => {
        if (catchingUp !== null) {
          await catchingUp;
          catchingUp = null;
        }
        for (const midnight of due.splice(0)) await cards.onMidnight(midnight);
      })();
    },
    onTraderEvent(event) {
      if (event.kind === 'exit') this.onTrade(event.trade);
      else if (event.kind === 'safety') {
        const condition = alertForSafetyEvent(event.safety);
        if (condition !== null) alerts.raise(condition);
      }
    },
    onBreakerTransition(transition, blockedUntil) {
      if (transition.to !== 'block') return;
      const retryAfterMs = blockedUntil === null ? null : Math.max(0, blockedUntil - deps.wallClock.now());
      alerts.raise({ kind: 'breaker_block', reason: transition.reason, retryAfterMs });
    },
    onTrade(trade) {
      if (trade.liquidated) alerts.raise({ kind: 'liquidation', symbol: trade.symbol, tradeId: trade.id, pnlUsdt: trade.pnlUsdt, marginUsdt: trade.marginUsdt });
      if (trade.is100PctLoss) alerts.raise({ kind: 'loss_100pct', symbol: trade.symbol, tradeId: trade.id, pnlUsdt: trade.pnlUsdt, marginUsdt: trade.marginUsdt });
    },
    async stop() {
      trigger.stop();
      await cards.settled();
    },
  };
}
