/**
 * Step "wire control": the Control facade over the running engine, and the seams where the
 * transports and the reporting plug in.
 */
import type { Config } from '../config.js';
import { startConsole, type ConsoleTwin } from '../console/repl.js';
import { logOutput } from '../logger.js';
import { Control } from '../engine/control.js';
import type { LaneScheduler } from '../engine/execution/scheduler.js';
import type { Clock, Exchange, Logger, Store } from '../engine/ports.js';
import type { DiscordWiring } from './discord.js';
import type { ReportCards } from '../engine/reports.js';
import type { Engine } from './engine.js';
import type { SourceChoice } from './market-data.js';

export interface ControlDeps {
  readonly engine: Engine;
  readonly exchange: Exchange;
  readonly store: Store;
  /** Operator actions are audited in wall time, not in the replay's market time. */
  readonly wallClock: Clock;
  readonly logger: Logger;
  readonly source: SourceChoice;
  readonly scheduler: LaneScheduler;
  readonly persist: (reason: string) => Promise<void>;
  /** Offer the console twin on stdin/stdout when Discord is not configured (`npm start`, not tests). */
  readonly console?: boolean | undefined;
  /** The Discord transport (null without DISCORD_TOKEN): started here on the Control. */
  readonly discord?: DiscordWiring | null;
  /** The daily report cards (/score, /report); absent: not available. */
  readonly reports?: ReportCards;
}

export interface WiredControl {
  readonly control: Control;
  /** Stops what was wired on top of Control (transports, schedulers); none yet. */
  stop(): Promise<void>;
}

export function wireControl(config: Config, deps: ControlDeps): WiredControl {
  const { trader, controller, tradingState } = deps.engine;
  const usesExchangeRequests = config.tradingMode === 'live' || deps.source.source === 'live';
  const control = new Control({
    trader,
    exchange: deps.exchange,
    store: deps.store,
    clock: deps.wallClock,
    logger: deps.logger,
    tradingMode: config.tradingMode,
    marketData: deps.source.fallback ? 'replay (fallback)' : deps.source.source,
    symbols: config.symbols,
    controllerStats: () => controller.stats(),
    schedulerStats: usesExchangeRequests ? () => deps.scheduler.stats() : () => null,
    persist: deps.persist,
    tickNow: () => controller.tick(),
    startedAt: deps.wallClock.now(),
    tradingState: () => tradingState.status(),
    ...(deps.discord ? { subscriptions: deps.discord.subscriptions } : {}),
    ...(deps.reports !== undefined ? { reports: deps.reports } : {}),
  });
  deps.discord?.start(control);
  // Seam (discord / console): start the Discord client and the console REPL on `control` here,
  // and stop them in `stop` below.
  // The console twin: the same commands as Discord, typed on stdin, when there is no Discord.
  const consoleTwin: ConsoleTwin | null =
    deps.console === true && config.discord.token === null
      ? startConsole({ control: () => control, logger: deps.logger, logOutput })
      : null;
  // Reports: wired in compose/reports.ts (their schedule runs on the engine clock); `reports` above.
  return {
    control,
    stop: async () => {
      consoleTwin?.stop();
      await deps.discord?.stop();
    },
  };
}
