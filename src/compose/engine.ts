/**
 * The single engine builder: Trader + PositionController from a Config, on any venue.
 * `npm start` (paper or live, replay or live data) and `npm run backtest` both build their
 * engine here, so a setting cannot reach one and miss the other.
 */
import type { Config } from '../config.js';
import type { AlertSink } from '../engine/alerts.js';
import type { Clock, Exchange, Logger } from '../engine/ports.js';
import { PositionController } from '../engine/position-controller.js';
import { Trader, type ExitAdvisor, type Predictor, type TraderEvent } from '../engine/trader.js';
import { TradingState } from '../engine/trading-state.js';
import type { SymbolRules, TradeRecord } from '../engine/types.js';
import { traderConfigFrom } from './settings.js';

export interface EngineDeps {
  readonly exchange: Exchange;
  /** Market time in a replay or backtest, the wall clock otherwise. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Read in place: a live venue refreshes it daily. */
  readonly rules: ReadonlyMap<string, SymbolRules>;
  /** Saves the engine snapshot; given the trader whose state it saves. */
  readonly persist: (trader: Trader, reason: string) => Promise<void>;
  readonly recordTrade: (trade: TradeRecord) => Promise<void>;
  readonly onEvent: (event: TraderEvent) => void;
  /** Wall-clock period of the position loop (unused on a simulated venue: it ticks at each candle close). */
  readonly controllerIntervalMs: number;
  /** Live: false while the lanes block, so the controller works from its own state. */
  readonly positionsReadable?: () => boolean;
  /** Wall time of trading-state changes (active / reducing / halted); the engine clock when absent. */
  readonly wallClock?: Clock;
  /** Where the trading state's halted/reducing alerts go (the reports' AlertCenter); the log when absent. */
  readonly alerts?: AlertSink;
  /** Self-learning: the model's predictor (src/engine/learning/predictor.ts); the per-rule statistics when absent. */
  readonly predictor?: Predictor;
  /** Model exits (POSITION_CONTROL_MODE=self_learning, src/engine/learning/exit-advisor.ts); none when absent. */
  readonly exitAdvisor?: ExitAdvisor;
}

export interface Engine {
  readonly trader: Trader;
  readonly controller: PositionController;
  /** active / reducing / halted, driven by error reactions. */
  readonly tradingState: TradingState;
}

export function buildEngine(config: Config, deps: EngineDeps): Engine {
  const tradingState = new TradingState({
    clock: deps.wallClock ?? deps.clock,
    logger: deps.logger,
    ...(deps.alerts !== undefined ? { alerts: deps.alerts } : {}),
  });
  const trader: Trader = new Trader(
    traderConfigFrom(config),
    {
      exchange: deps.exchange,
      clock: deps.clock,
      logger: deps.logger,
      rules: deps.rules,
      // Called only once the trader exists (never during construction).
      persist: (reason) => deps.persist(trader, reason),
      recordTrade: deps.recordTrade,
      onEvent: deps.onEvent,
      // Reducing and halted block new entries; error reactions set them.
      entryGate: tradingState,
      ...(deps.predictor !== undefined ? { predictor: deps.predictor } : {}),
      ...(deps.exitAdvisor !== undefined ? { exitAdvisor: deps.exitAdvisor } : {}),
    },
    config.strategyMode,
  );
  const controller = new PositionController({
    trader,
    exchange: deps.exchange,
    clock: deps.clock,
    logger: deps.logger,
    intervalMs: deps.controllerIntervalMs,
    tradingState,
    ...(deps.positionsReadable !== undefined ? { positionsReadable: deps.positionsReadable } : {}),
  });
  return { trader, controller, tradingState };
}
