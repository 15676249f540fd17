/**
 * The engine's ports: the only way `src/engine` talks to the outside world.
 * Adapters (`src/adapters`, `src/db`, `src/discord`) implement them; `src/main.ts` wires them.
 */
import type {
  AccountFill,
  Balance,
  ExitReason,
  Candle,
  ExchangePosition,
  ForcedClose,
  FundingPayment,
  LeverageClamp,
  MarkCandle,
  OrderRequest,
  OrderState,
  Side,
  StrategyMode,
  SymbolRules,
  Ticker,
  TradeRecord,
} from './types.js';

/** Time source. Real in production, manual in tests, replay-driven in backtests. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms` of this clock's time; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** A clock the composition root moves by hand (replay, backtest, tests). */
export interface ManualClockLike extends Clock {
  set(targetMs: number): void;
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(component: string): Logger;
}

/** Execution-lane priorities: 0 position safety, 1 entries + the controller's position read, 2 other reads, 3 market data. */
export type Priority = 0 | 1 | 2 | 3;

/** The venue: Binance through ccxt, or the paper exchange. Errors are the classes of `src/errors.ts`. */
export interface Exchange {
  readonly kind: 'paper' | 'binance';
  loadRules(symbols: readonly string[]): Promise<Map<string, SymbolRules>>;
  setIsolatedMargin(symbol: string): Promise<void>;
  setLeverage(symbol: string, leverage: number): Promise<void>;
  placeOrder(request: OrderRequest, priority: Priority): Promise<OrderState>;
  cancelOrder(symbol: string, clientOrderId: string, priority: Priority): Promise<void>;
  /** null when the exchange does not know the id (never sent). */
  fetchOrder(symbol: string, clientOrderId: string): Promise<OrderState | null>;
  fetchOpenOrders(symbol?: string): Promise<OrderState[]>;
  /** Every open position, in one request. */
  fetchPositions(priority: Priority): Promise<ExchangePosition[]>;
  /**
   * A simulated venue's positions, open orders and balance read without a request (the same
   * values as `fetchPositions` / `fetchOpenOrders` / `fetchBalance`). The position controller
   * finishes a tick that has nothing to do without an async round (a replay ticks at every
   * candle close), and the Trader screens a signal the same way; absent on a real exchange.
   */
  positionsNow?(): ExchangePosition[];
  openOrdersNow?(symbol: string): OrderState[];
  /** The account as `fetchBalance` gives it, without a request (a simulated venue); the entry screen reads it. */
  balanceNow?(): Balance;
  fetchBalance(): Promise<Balance>;
  fetchFundingPayments(symbol: string, sinceMs: number): Promise<FundingPayment[]>;
  /** Positions the exchange closed itself (liquidations) since `sinceMs`. */
  fetchForcedCloses(symbol: string, sinceMs: number): Promise<ForcedClose[]>;
  /** The account's fills of a symbol since `sinceMs`, oldest first (what closed a position outside the bot); optional. */
  fetchAccountFills?(symbol: string, sinceMs: number): Promise<AccountFill[]>;
}

/** One closed candle of one symbol, with the mark-price candle covering it when known. */
export interface ClosedCandle {
  readonly symbol: string;
  readonly candle: Candle;
  /** The mark candle whose period contains this candle (hourly in the bundled data), if any. */
  readonly mark: MarkCandle | null;
}

export interface MarketData {
  readonly source: 'live' | 'replay';
  /** Warm-up history (oldest first), at most `count` closed candles ending before `beforeMs`. */
  history(symbol: string, count: number, beforeMs: number): Promise<Candle[]>;
  /**
   * Emits closed candles in time order (all symbols of one close time, then the next).
   * Resolves when the source ends (replay) or `stop()` is called. A promise the handler
   * returns is awaited: a replay never runs ahead of the engine. A handler that finished
   * its batch synchronously returns nothing (the backtest's common case: no promise made).
   */
  run(onClose: (batch: readonly ClosedCandle[]) => Promise<void> | void): Promise<void>;
  stop(): void;
  lastTicker(symbol: string): Ticker | null;
}

/** Win probability and confidence for a proposed trade. */
export interface Prediction {
  readonly winProbability: number;
  readonly confidence: number;
  readonly modelVersion: string | null;
  /** 'rules' or 'rules (no model yet)' or a model label. */
  readonly source: string;
  /**
   * Set by a promoted model only: whether its confidence ranked outcomes on its validation
   * window (else confidence may not raise leverage). Its presence turns on the expected-value gate.
   */
  readonly confidenceRanks?: boolean;
}

export type Grade = 'S' | 'A' | 'B' | 'C';

/** Engine state that must survive a restart. */
export interface EngineState {
  readonly paused: boolean;
  readonly strategyMode: StrategyMode;
  readonly grade: Grade | null;
  /** Closed non-exploration trades of the account, counted once, never reset (cold start). */
  readonly closedTradeCount: number;
  readonly explorationTaken: number;
  readonly explorationSeen: number;
}

/** What the decision fixed about a trade, from the plan to the trade record. */
export interface TradeDecision {
  readonly side: Side;
  readonly leverage: number;
  readonly leverageRaw: number;
  readonly leverageClamps: readonly LeverageClamp[];
  readonly winProbability: number;
  readonly confidence: number;
  readonly baseSlPct: number;
  /** The signal rule that opened it (rule statistics learn from its outcome). */
  readonly rule: string;
  readonly tickSize: number;
  readonly stepSize: number;
  readonly minNotionalUsdt: number;
  readonly exploration: boolean;
  readonly strategyMode: string;
  readonly modelVersion: string | null;
  /** Expected R after costs of a promoted model's prediction (the expected-value gate); null or absent otherwise. */
  readonly expectedR?: number | null;
}

/** What an entry order carries until it fills and becomes a ManagedPosition. */
export interface EntryDraft extends TradeDecision {
  readonly slDistance: number;
  readonly tpDistance: number;
  readonly decidedAt: number;
  /** The price the entry was decided at (the candle's close): the entry's slippage is measured from it. Absent in drafts stored before it existed. */
  readonly referencePrice?: number;
}

/** A position the engine manages, with everything its trade record will need. */
export interface ManagedPosition extends TradeDecision {
  readonly symbol: string;
  readonly size: number;
  readonly entryPrice: number;
  readonly slPrice: number;
  readonly tpPrice: number;
  readonly liquidationPrice: number;
  readonly openedAt: number;
  readonly entryClientOrderId: string;
  readonly slClientOrderId: string | null;
  readonly tpClientOrderId: string | null;
  readonly feesUsdt: number;
  readonly fundingUsdt: number;
  /** Set when the position was adopted at start-up rather than opened by this engine. */
  readonly adopted: boolean;
  /** The close order in flight and why, once an exit was decided. */
  readonly exitClientOrderId: string | null;
  readonly exitReason: ExitReason | null;
  /** The entry's decision price (slippage reference); absent for adopted positions and older snapshots. */
  readonly entryReferencePrice?: number;
  /** The last price when our market close was sent (slippage reference of the exit). */
  readonly exitReferencePrice?: number;
}

export type PendingPurpose = 'entry' | 'sl' | 'tp' | 'close';

/** An order intent, stored before the order is sent (persist before acting). */
export interface PendingOrder {
  readonly request: OrderRequest;
  readonly purpose: PendingPurpose;
  readonly createdAt: number;
  /** 'intent': stored, maybe not sent; 'sent': the exchange answered. */
  readonly stage: 'intent' | 'sent';
  /** Entry orders only: the plan that becomes the managed position on fill. */
  readonly draft: EntryDraft | null;
}

/** Everything the engine needs to resume, written as one document (atomic). */
export interface EngineSnapshot {
  readonly version: 1;
  readonly savedAt: number;
  readonly state: EngineState;
  readonly positions: readonly ManagedPosition[];
  readonly pendingOrders: readonly PendingOrder[];
  /** Last candle open time processed per symbol (replay resumes after it). */
  readonly lastCandleAt: Readonly<Record<string, number>>;
  /** Rule statistics (rules-mode win probability), plain JSON. */
  readonly ruleStatistics: unknown;
  /** Paper venue state, saved with the engine's own in the same write. */
  readonly venue: unknown;
}

export interface AuditEntry {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly detail: string;
  readonly result: 'ok' | 'denied' | 'error';
}

/** The persistence the engine needs (implemented by `src/db/` on keyv). */
export interface Store {
  loadSnapshot(): Promise<EngineSnapshot | null>;
  saveSnapshot(snapshot: EngineSnapshot): Promise<void>;
  /** Idempotent by `trade.id`: a trade stored twice is stored once. */
  putTrade(trade: TradeRecord): Promise<void>;
  tradesByDay(dayUtc: string): Promise<TradeRecord[]>;
  tradesBySymbol(symbol: string, limit: number): Promise<TradeRecord[]>;
  recentTrades(limit: number): Promise<TradeRecord[]>;
  appendAudit(entry: AuditEntry): Promise<void>;
  close(): Promise<void>;
}

export type NoticeKind = 'report' | 'alert' | 'trade';

/** A PNG chart (or other file) that travels with a notice. */
export interface NoticeAttachment {
  readonly name: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly description?: string;
}

/**
 * What the engine tells operators: daily reports, alerts (score below 70, liquidation,
 * a position left without its stop, engine halted…) and trade notices. Transports
 * (Discord channels subscribed to the kind, the log/console) render it.
 */
export interface Notice {
  readonly kind: NoticeKind;
  /** Deduplication / merge key, e.g. `score_below_70:2026-11-30` or `unprotected:BTCUSDT`. */
  readonly key: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly title: string;
  /** Short lines, readable on a phone. */
  readonly lines: readonly string[];
  /** Wall time (ms) the notice was raised. */
  readonly at: number;
  readonly attachments?: readonly NoticeAttachment[];
}

export interface Notifier {
  /** Fire and forget: never awaited by the engine, never throws. */
  notify(notice: Notice): void;
}

/** A daily report as the database keeps it (Railway's file system is ephemeral). */
export interface StoredDailyReport {
  /** The UTC day the report covers, 'YYYY-MM-DD'. */
  readonly day: string;
  readonly generatedAt: number;
  /** The JSON report (`model_report_YYYY-MM-DD.json`), a `DailyReport` of `./reports.ts`. */
  readonly report: unknown;
  /** The Markdown report (`model_report_YYYY-MM-DD.md`). */
  readonly markdown: string;
}

/**
 * One document kept whole in the store (`KvDocument`): the Discord outbox's queue, the
 * learning samples. Its owner defines the shape; the store only keeps it.
 */
export interface StoredDocument {
  /** The stored document, or null when none was written. */
  load(): Promise<unknown>;
  save(document: unknown): Promise<void>;
}

/** Where daily reports are stored: `KeyvStore.dailyReports`, `MemoryStore.dailyReports`. */
export interface DailyReportArchive {
  /** Insert or replace the report of `record.day` (re-running a day overwrites it). */
  put(record: StoredDailyReport): Promise<void>;
  get(dayUtc: string): Promise<StoredDailyReport | null>;
  /** The report of the most recent day. */
  latest(): Promise<StoredDailyReport | null>;
  /** Days with a report, oldest first. */
  days(): Promise<string[]>;
}
