/**
 * A Trader on a PaperExchange (bundled rules from data/exchange) behind a RecordingExchange,
 * with a ManualClock, a MemoryStore and a MemoryLogger: everything the engine tests and the
 * controller benchmark need, no network, no timers.
 *
 * Positions are opened through the Trader's own path: a filled entry order that the
 * Trader knows as a pending entry is turned into a managed position (SL/TP placed) at the
 * next control tick, exactly as after a live or replayed entry.
 */
import { ManualClock } from '../../../src/adapters/clock.js';
import { bundledDataDir, loadExchangeRules, loadMarketHistory } from '../../../src/adapters/data/index.js';
import { PaperExchange } from '../../../src/adapters/paper/paper-exchange.js';
import { defaultTraderConfig } from '../../../src/engine/trader.js';
import { MemoryStore } from '../../../src/db/memory-store.js';
import { clientOrderId } from '../../../src/engine/client-order-id.js';
import { roundPrice } from '../../../src/engine/exchange-rules.js';
import { defaultPipelineConfig, type PipelineConfig } from '../../../src/engine/pipeline.js';
import type { EngineSnapshot, EntryDraft, Logger, ManagedPosition, PendingOrder } from '../../../src/engine/ports.js';
import { PositionController } from '../../../src/engine/position-controller.js';
import { RuleBasedSignalGenerator, type Signal } from '../../../src/engine/signals.js';
import { Trader, type TraderConfig, type TraderDeps, type TraderEvent } from '../../../src/engine/trader.js';
import type { Candle, Side, SymbolRules, TradeRecord } from '../../../src/engine/types.js';
import { MemoryLogger, silentLogger } from '../../../src/logger.js';
import { RecordingExchange, type Hold, type JournalEntry } from './recording-exchange.js';
import { CANDLE_MS } from '../../../src/engine/types.js';

export { CANDLE_MS };
/** Open time of the first candle of data/candles/BTCUSDT-5m.csv.gz (2025-08-01T00:00Z). */
export const DATA_START_MS = Date.UTC(2025, 7, 1);

export type TraderState = Pick<EngineSnapshot, 'state' | 'positions' | 'pendingOrders' | 'ruleStatistics'>;

export interface HarnessOptions {
  /** Symbols the Trader is configured for. Default ['BTCUSDT']. */
  readonly symbols?: readonly string[];
  /** Extra symbols the venue knows but the Trader is not configured for. Default ['ETHUSDT']. */
  readonly venueOnlySymbols?: readonly string[];
  /** Symbols with BTCUSDT's rules under another name (e.g. 'BTC2USDT'); they must be listed in `symbols`. */
  readonly clonesOfBtc?: readonly string[];
  readonly trader?: Partial<TraderConfig>;
  readonly pipeline?: Partial<PipelineConfig>;
  readonly startMs?: number;
  readonly startingBalanceUsdt?: number;
  /** The venue's slippage (fraction). Default 0. */
  readonly slippageRate?: number;
  readonly intervalMs?: number;
  /** The controller's "can the positions be read" switch (a rate-limit block says no). */
  readonly positionsReadable?: () => boolean;
  /** Silent logger (benchmarks); a MemoryLogger otherwise. */
  readonly silent?: boolean;
  /** The self-learning plugs (default: rule statistics, no model exits). */
  readonly plugs?: Pick<TraderDeps, 'predictor' | 'exitAdvisor'>;
}

export interface OpenSpec {
  readonly symbol?: string;
  readonly side?: Side;
  readonly price?: number;
  readonly size?: number;
  readonly leverage?: number;
  /** Fractions of the fill price. */
  readonly slPct?: number;
  readonly tpPct?: number;
  readonly rule?: string;
}

export interface Persisted {
  readonly reason: string;
  readonly at: number;
  readonly pending: readonly PendingOrder[];
  readonly positions: readonly ManagedPosition[];
}

export class TraderHarness {
  readonly clock: ManualClock;
  readonly rules: Map<string, SymbolRules>;
  readonly paper: PaperExchange;
  readonly exchange: RecordingExchange;
  readonly journal: JournalEntry[] = [];
  readonly store = new MemoryStore();
  readonly logger: MemoryLogger | null;
  readonly events: TraderEvent[] = [];
  readonly persisted: Persisted[] = [];
  readonly recordedTrades: TradeRecord[] = [];
  readonly config: TraderConfig;
  trader: Trader;
  readonly controller: PositionController;
  private readonly log: Logger;
  private persistHolds: { gate: Promise<void>; arrive: () => void }[] = [];
  private readonly plugs: Pick<TraderDeps, 'predictor' | 'exitAdvisor'>;

  constructor(options: HarnessOptions = {}) {
    const symbols = options.symbols ?? ['BTCUSDT'];
    const clones = new Set(options.clonesOfBtc ?? []);
    const fromData = [...new Set(['BTCUSDT', ...symbols.filter((s) => !clones.has(s)), ...(options.venueOnlySymbols ?? ['ETHUSDT'])])];
    this.rules = loadExchangeRules(bundledDataDir(), fromData);
    const btc = this.rules.get('BTCUSDT')!;
    for (const clone of clones) this.rules.set(clone, { ...btc, symbol: clone });
    this.clock = new ManualClock(options.startMs ?? DATA_START_MS);
    this.logger = options.silent === true ? null : new MemoryLogger();
    this.log = this.logger ?? silentLogger;
    this.paper = new PaperExchange({
      rules: this.rules,
      clock: this.clock,
      logger: this.log,
      startingBalanceUsdt: options.startingBalanceUsdt ?? 10_000,
      slippageRate: options.slippageRate ?? 0,
      funding: new Map(),
    });
    this.exchange = new RecordingExchange(this.paper, this.clock, this.journal);
    const pipeline: PipelineConfig = { ...defaultPipelineConfig, ...(options.pipeline ?? {}) };
    this.config = { ...defaultTraderConfig(symbols, pipeline), ...(options.trader ?? {}) };
    this.plugs = options.plugs ?? {};
    this.trader = this.newTrader();
    this.controller = new PositionController({
      trader: this.trader,
      exchange: this.exchange,
      clock: this.clock,
      logger: this.log,
      intervalMs: options.intervalMs ?? 2000,
      ...(options.positionsReadable === undefined ? {} : { positionsReadable: options.positionsReadable }),
    });
  }

  private newTrader(): Trader {
    return new Trader(
      this.config,
      {
        exchange: this.exchange,
        clock: this.clock,
        logger: this.log,
        rules: this.rules,
        persist: (reason) => this.persist(reason),
        recordTrade: async (trade) => {
          this.journal.push({ what: 'recordTrade', at: this.clock.now(), detail: trade.id, priority: null });
          this.recordedTrades.push(trade);
          await this.store.putTrade(trade);
        },
        onEvent: (event) => this.events.push(event),
        ...this.plugs,
      },
      'rules',
    );
  }

  private async persist(reason: string): Promise<void> {
    const state = this.trader.exportState();
    this.journal.push({ what: 'persist', at: this.clock.now(), detail: reason, priority: null });
    this.persisted.push({ reason, at: this.clock.now(), pending: state.pendingOrders, positions: state.positions });
    const hold = this.persistHolds.shift();
    if (hold !== undefined) {
      hold.arrive();
      await hold.gate;
    }
  }

  /** The next persist (a slow store) waits until `release()`. */
  holdNextPersist(): Hold {
    let release!: () => void;
    let arrive!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    this.persistHolds.push({ gate, arrive });
    return { reached, release };
  }

  /** The Trader's state as the store would give it back (JSON round trip). */
  snapshot(): TraderState {
    return JSON.parse(JSON.stringify(this.trader.exportState())) as TraderState;
  }

  /**
   * A restart: a new Trader on the same venue, clock and store, restored from `state`.
   * The controller keeps driving the old one; restart tests call `tick()`.
   */
  restart(state: TraderState, config: Partial<TraderConfig> = {}): Trader {
    Object.assign(this.config, config);
    this.trader = this.newTrader();
    this.trader.restoreState(state);
    return this.trader;
  }

  /** A live price (and mark) on the venue at the clock's time: fills market orders, fires stops. */
  price(symbol: string, price: number, markPrice: number | null = null): void {
    this.paper.onTicker(symbol, price, markPrice ?? price, this.clock.now());
  }

  /** One controller evaluation without the controller: one positions read, then the Trader. */
  async tick(): Promise<void> {
    await this.trader.controlTick(await this.exchange.fetchPositions(1));
  }

  /** The plan an entry of `spec` carries (SL/TP distances from `price`). */
  entryDraft(spec: OpenSpec = {}): EntryDraft {
    const symbol = spec.symbol ?? 'BTCUSDT';
    const price = spec.price ?? 100_000;
    const leverage = spec.leverage ?? 5;
    const rules = this.rules.get(symbol)!;
    const tick = rules.filters.tickSize;
    return {
      side: spec.side ?? 'long',
      leverage,
      leverageRaw: leverage,
      leverageClamps: [],
      slDistance: roundPrice(price * (spec.slPct ?? 0.01), tick, 'up'),
      tpDistance: roundPrice(price * (spec.tpPct ?? 0.015), tick, 'up'),
      winProbability: 0.6,
      confidence: 0.6,
      baseSlPct: spec.slPct ?? 0.01,
      rule: spec.rule ?? 'breakout',
      tickSize: tick,
      stepSize: rules.filters.stepSize,
      minNotionalUsdt: 10,
      exploration: false,
      strategyMode: 'rules',
      modelVersion: null,
      decidedAt: this.clock.now(),
    };
  }

  /**
   * Places and fills (at `price`, no slippage) the market entry of `spec` on the venue,
   * as the Trader would have sent it; returns the pending entry the Trader would hold.
   */
  async fillEntryOnVenue(spec: OpenSpec = {}): Promise<PendingOrder> {
    const symbol = spec.symbol ?? 'BTCUSDT';
    const price = spec.price ?? 100_000;
    const draft = this.entryDraft(spec);
    const request = {
      symbol,
      side: draft.side === 'long' ? ('buy' as const) : ('sell' as const),
      type: 'market' as const,
      quantity: spec.size ?? 0.01,
      reduceOnly: false,
      clientOrderId: clientOrderId('entry', symbol, draft.decidedAt),
    };
    this.price(symbol, price);
    await this.paper.setLeverage(symbol, draft.leverage);
    this.paper.placeOrderNow(request);
    this.price(symbol, price);
    return { request, purpose: 'entry', createdAt: draft.decidedAt, stage: 'sent', draft };
  }

  /** Opens a managed position through the Trader's settle-entry path; returns it with its SL/TP on the venue. */
  async openPosition(spec: OpenSpec = {}): Promise<ManagedPosition> {
    const symbol = spec.symbol ?? 'BTCUSDT';
    const entry = await this.fillEntryOnVenue(spec);
    const state = this.trader.exportState();
    this.trader.restoreState({ ...state, pendingOrders: [...state.pendingOrders, entry] });
    await this.tick();
    const opened = this.trader.managedPositions().find((p) => p.symbol === symbol);
    if (opened === undefined) throw new Error(`test harness: the entry on ${symbol} did not become a managed position`);
    return opened;
  }

  trades(): TradeRecord[] {
    return this.store.allTrades();
  }

  /** Log lines at `level` or above whose message contains `text`. */
  logged(text: string, level?: 'debug' | 'info' | 'warn' | 'error'): MemoryLogger['lines'] {
    return (this.logger?.lines ?? []).filter((l) => l.message.includes(text) && (level === undefined || l.level === level));
  }
}

/** The first `count` BTCUSDT candles of the bundled data. */
export async function loadBtcCandles(count: number): Promise<Candle[]> {
  const history = await loadMarketHistory(bundledDataDir(), ['BTCUSDT'], {
    from: DATA_START_MS,
    to: DATA_START_MS + (count - 1) * CANDLE_MS,
  });
  return history.get('BTCUSDT')!.candles;
}

/** Where the rule generator (fed the candles in order from the first) gives a signal. */
export function signalsIn(candles: readonly Candle[]): { index: number; signal: Signal }[] {
  const generator = new RuleBasedSignalGenerator();
  const found: { index: number; signal: Signal }[] = [];
  candles.forEach((candle, index) => {
    const signal = generator.update(candle);
    if (signal !== null) found.push({ index, signal });
  });
  return found;
}
