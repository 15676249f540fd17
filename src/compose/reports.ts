/**
 * Step "wire reports": the daily report card, its midnight schedule, the catch-up and the
 * alerts, on the engine clock (market time in a replay, so each simulated midnight gets its
 * report). See src/reports/wiring.ts for what runs when.
 */
import type { Config } from '../config.js';
import type { LaneScheduler } from '../engine/execution/scheduler.js';
import type { AuditEntry, Clock, DailyReportArchive, Exchange, Grade, Logger, Notifier, Store } from '../engine/ports.js';
import type { ModelInfo } from '../engine/reports.js';
import { logNotifier } from '../engine/trading-state.js';
import type { ReportShadow } from '../reports/service.js';
import { wireReports, type ReportsWiring } from '../reports/wiring.js';

/** Where notices go: the Discord outbox (shows charts) or, without a transport, the log. */
export interface NoticeTransport {
  readonly notifier: Notifier;
  readonly showsCharts: boolean;
}

export interface ReportsStepDeps {
  readonly logger: Logger;
  readonly store: Pick<Store, 'tradesByDay' | 'appendAudit'>;
  readonly archive: DailyReportArchive;
  readonly recentAudit?: (limit: number) => Promise<AuditEntry[]>;
  readonly exchange: Exchange;
  readonly paper: boolean;
  readonly engineClock: Clock;
  readonly wallClock: Clock;
  readonly replay: boolean;
  readonly scheduler: LaneScheduler | null;
  readonly transport?: NoticeTransport;
  /** The engine's grade, and how to set it (bound once the Trader exists). */
  readonly grade: () => Grade | null;
  readonly setGrade: (grade: Grade | null) => Promise<void>;
  /** Grade C: the model's shadow score and the automatic resume. */
  readonly shadow?: ReportShadow;
  readonly model?: () => ModelInfo;
}

export function wireReportsStep(config: Config, deps: ReportsStepDeps): ReportsWiring {
  const transport = deps.transport ?? { notifier: logNotifier(deps.logger), showsCharts: false };
  const wiring = wireReports({
    config,
    logger: deps.logger,
    store: deps.store,
    archive: deps.archive,
    engineClock: deps.engineClock,
    wallClock: deps.wallClock,
    replay: deps.replay,
    transport: transport.notifier,
    transportShowsCharts: transport.showsCharts,
    // Realised equity: the wallet balance (unrealised P&L of open positions left out).
    walletBalanceUsdt: async () => (await deps.exchange.fetchBalance()).walletBalanceUsdt,
    equitySource: deps.paper ? 'venue' : 'exchange',
    grade: deps.grade,
    setGrade: deps.setGrade,
    ...(deps.shadow !== undefined ? { shadow: deps.shadow } : {}),
    ...(deps.recentAudit !== undefined ? { recentAudit: deps.recentAudit } : {}),
    ...(deps.model !== undefined ? { model: deps.model } : {}),
  });
  if (deps.scheduler !== null)
    deps.scheduler.onBreakerTransition = (transition, blockedUntil) => wiring.onBreakerTransition(transition, blockedUntil);
  return wiring;
}
