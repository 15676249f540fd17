/**
 * The live engine as the bot wires it, in one test process: the Trader, the
 * PositionController and the trading state on the Binance adapter (real ccxt) against the
 * fake Binance, on a ManualClock (the fake's server time follows it). Ticks are driven by
 * hand: `tick()` advances the clock by one interval and runs one controller tick.
 */
import { ManualClock } from '../../src/adapters/clock.js';
import { BinanceExchange } from '../../src/adapters/binance/exchange.js';
import { MemoryStore } from '../../src/db/memory-store.js';
import { Control } from '../../src/engine/control.js';
import { LaneScheduler } from '../../src/engine/execution/scheduler.js';
import { defaultPipelineConfig } from '../../src/engine/pipeline.js';
import { describeAlert, type AlertSink } from '../../src/engine/alerts.js';
import type { EngineSnapshot, Notice } from '../../src/engine/ports.js';
import { PositionController } from '../../src/engine/position-controller.js';
import { Trader, defaultTraderConfig, type TraderConfig, type TraderEvent } from '../../src/engine/trader.js';
import { TradingState } from '../../src/engine/trading-state.js';
import type { SymbolRules, TradeRecord } from '../../src/engine/types.js';
import { MemoryLogger } from '../../src/logger.js';
import { startFakeBinance, type FakeAlgoOrder, type FakeBinance } from '../fakes/fake-binance.js';

export const RIG_START_MS = Date.UTC(2025, 5, 2, 12, 0, 10);
export const TICK_MS = 2_000;

/** A reduce-only STOP_MARKET resting on the fake (as a crashed run, a user or another bot left it). */
export function restingStop(
  id: number,
  clientAlgoId: string,
  symbol: string,
  side: 'BUY' | 'SELL',
  triggerPrice: number,
  quantity: number,
): FakeAlgoOrder {
  return {
    algoId: id,
    clientAlgoId,
    symbol,
    side,
    orderType: 'STOP_MARKET',
    quantity,
    triggerPrice,
    price: 0,
    reduceOnly: true,
    algoStatus: 'NEW',
    actualOrderId: null,
    executedQty: 0,
    avgPrice: 0,
    createTime: 0,
    updateTime: 0,
    triggerTime: 0,
  };
}

export interface LiveRigOptions {
  readonly symbols?: readonly string[];
  readonly trader?: Partial<TraderConfig>;
  /** Reuse a fake (restart scenarios); a new one otherwise. */
  readonly fake?: FakeBinance;
  readonly clock?: ManualClock;
  /** State to restore (a restart). */
  readonly snapshot?: Pick<EngineSnapshot, 'state' | 'positions' | 'pendingOrders' | 'ruleStatistics'>;
  /** How long an insufficient-funds refusal keeps the engine reducing (the trading state's default when absent). */
  readonly reducingForMs?: number;
}

export class LiveRig {
  readonly notices: Notice[] = [];
  readonly events: TraderEvent[] = [];
  readonly trades: TradeRecord[] = [];
  saved: Pick<EngineSnapshot, 'state' | 'positions' | 'pendingOrders' | 'ruleStatistics'> | null = null;

  private constructor(
    readonly fake: FakeBinance,
    readonly clock: ManualClock,
    readonly logger: MemoryLogger,
    readonly scheduler: LaneScheduler,
    readonly exchange: BinanceExchange,
    readonly trader: Trader,
    readonly controller: PositionController,
    readonly tradingState: TradingState,
    readonly rules: Map<string, SymbolRules>,
    private readonly ownsFake: boolean,
  ) {}

  static async start(options: LiveRigOptions = {}): Promise<LiveRig> {
    const clock = options.clock ?? new ManualClock(RIG_START_MS);
    const fake = options.fake ?? (await startFakeBinance({ now: () => clock.now() }));
    const symbols = options.symbols ?? ['BTCUSDT'];
    const logger = new MemoryLogger();
    const scheduler = new LaneScheduler({ clock, logger });
    const exchange = new BinanceExchange({
      apiKey: 'rig-api-key',
      secret: 'rig-secret',
      testnet: false,
      apiBase: fake.url,
      scheduler,
      clock,
      logger,
      symbols,
      timeoutMs: 500,
    });
    const rules = await exchange.loadRules(symbols);
    const holder: { rig: LiveRig | null } = { rig: null };
    const alerts: AlertSink = {
      raise: (condition) => {
        holder.rig?.notices.push(describeAlert(condition, clock.now()));
        return true;
      },
    };
    const tradingState = new TradingState({
      clock,
      logger,
      alerts,
      ...(options.reducingForMs !== undefined ? { reducingForMs: options.reducingForMs } : {}),
    });
    const trader = new Trader(
      { ...defaultTraderConfig(symbols, defaultPipelineConfig), unknownPositions: 'adopt', ...options.trader },
      {
        exchange,
        clock,
        logger,
        rules,
        persist: async () => {
          if (holder.rig !== null) holder.rig.saved = structuredClone(holder.rig.trader.exportState());
        },
        recordTrade: async (trade) => {
          holder.rig?.trades.push(trade);
        },
        onEvent: (event) => holder.rig?.events.push(event),
        entryGate: tradingState,
      },
      'rules',
    );
    if (options.snapshot !== undefined) trader.restoreState(options.snapshot);
    // As the bot wires it: while the lanes block (429/418) the controller works from its own state.
    const controller = new PositionController({
      trader,
      exchange,
      clock,
      logger,
      intervalMs: TICK_MS,
      tradingState,
      positionsReadable: () => scheduler.stats().breaker !== 'block',
    });
    const rig = new LiveRig(fake, clock, logger, scheduler, exchange, trader, controller, tradingState, rules, options.fake === undefined);
    holder.rig = rig;
    return rig;
  }

  /** One position-loop tick, one interval later. */
  async tick(): Promise<void> {
    this.clock.advance(TICK_MS);
    await this.controller.tick();
  }

  /** Requests the fake saw for `METHOD /path` since `from` (an index into fake.requests). */
  requests(route: string, from = 0): FakeBinance['requests'] {
    const [method, path] = route.split(' ');
    return this.fake.requests.slice(from).filter((r) => r.method === method && r.path === path);
  }

  /** The Control facade over this engine, as the bot wires it for /status (live, BTCUSDT). */
  control(): Control {
    return new Control({
      trader: this.trader,
      exchange: this.exchange,
      store: new MemoryStore(),
      clock: this.clock,
      tradingMode: 'live',
      marketData: 'live',
      symbols: ['BTCUSDT'],
      controllerStats: () => this.controller.stats(),
      persist: async () => undefined,
      startedAt: this.clock.now(),
      tradingState: () => this.tradingState.status(),
    });
  }

  linesAt(level: string): string[] {
    return this.logger.lines.filter((l) => l.level === level).map((l) => l.message);
  }

  async close(): Promise<void> {
    await this.controller.stop();
    this.scheduler.stop();
    if (this.ownsFake) await this.fake.close();
  }
}
