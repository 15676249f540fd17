/**
 * SelfLearningTrader: the decision maker (BLUEPRINT.md "Core engine").
 *
 * closed candle → features → signal → win probability/confidence → the ordered
 * "From signal to order" pipeline (pipeline.ts) → entry order → SL/TP from the fill →
 * managed by the PositionController → close → trade record.
 *
 * Same code in backtest, paper and live: only the Exchange, MarketData and Clock differ.
 * State that must survive a restart is persisted (through `persist`) before an order
 * is sent and after its result is known (STYLE.md §6).
 */
import { clientOrderId } from './client-order-id.js';
import { isolatedLiquidationPrice, roundPrice } from './exchange-rules.js';
import {
  type EntryPlan,
  type PipelineConfig,
  type PlanInput,
  is100PctLoss,
  planEntry,
  plannedRiskUsdt,
  refusedOnlyByModelThresholds,
  slTpFromFill,
  tradeMargins,
} from './pipeline.js';
import type {
  Clock,
  ClosedCandle,
  EngineSnapshot,
  EngineState,
  EntryDraft,
  Exchange,
  Logger,
  ManagedPosition,
  PendingOrder,
  PendingPurpose,
  Prediction,
  Priority,
} from './ports.js';
import { RuleStatistics } from './rule-stats.js';
import { RuleBasedSignalGenerator, type Signal } from './signals.js';
import {
  CANDLE_MS,
  type Balance,
  type ExchangePosition,
  type ExitReason,
  type OrderRequest,
  type OrderState,
  type Side,
  type StrategyMode,
  type SymbolRules,
  type TradeRecord,
} from './types.js';
import { InsufficientFundsError, InvalidOrderError, OrderUncertainError, describeError } from '../errors.js';

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
  | { readonly kind: 'refused'; readonly symbol: string; readonly side: Side; readonly reasons: readonly string[] }
  | { readonly kind: 'warning'; readonly message: string };

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

/** mulberry32: a small seeded PRNG, so exploration is reproducible in backtests. */
function seededUniform(seed: number, n: number): number {
  let t = (seed + Math.imul(n, 0x9e3779b9)) >>> 0;
  t = (t + 0x6d2b79f5) >>> 0;
  let r = Math.imul(t ^ (t >>> 15), t | 1);
  r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
  return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
}

const sideSign = (side: Side): 1 | -1 => (side === 'long' ? 1 : -1);
const entrySide = (side: Side): 'buy' | 'sell' => (side === 'long' ? 'buy' : 'sell');
const exitSide = (side: Side): 'buy' | 'sell' => (side === 'long' ? 'sell' : 'buy');

export class Trader {
  private state: EngineState;
  private readonly positions = new Map<string, ManagedPosition>();
  private readonly pending = new Map<string, PendingOrder>();
  private readonly generators = new Map<string, RuleBasedSignalGenerator>();
  private readonly lastPrice = new Map<string, { price: number; mark: number; at: number }>();
  private readonly reversals = new Set<string>();
  private readonly exitRequests = new Map<string, ExitReason>();
  private ruleStats = new RuleStatistics();
  private balanceCache: { value: Balance; at: number } | null = null;
  /** Client order ids whose `placeOrder` is in flight: the controller must not settle them meanwhile. */
  private readonly sending = new Set<string>();
  private readonly log: Logger;

  constructor(
    private readonly config: TraderConfig,
    private readonly deps: TraderDeps,
    strategyMode: StrategyMode,
  ) {
    this.state = initialEngineState(strategyMode);
    this.log = deps.logger.child('trader');
    for (const symbol of config.symbols) this.generators.set(symbol, new RuleBasedSignalGenerator());
  }

  // ── state ────────────────────────────────────────────────────────────────

  engineState(): EngineState {
    return this.state;
  }

  managedPositions(): ManagedPosition[] {
    return [...this.positions.values()];
  }

  pendingOrders(): PendingOrder[] {
    return [...this.pending.values()];
  }

  hasPendingEntries(): boolean {
    for (const order of this.pending.values()) if (order.purpose === 'entry') return true;
    return false;
  }

  /** Whether the position controller has anything to evaluate (replay skips empty ticks). */
  hasWork(): boolean {
    return this.positions.size > 0 || this.pending.size > 0;
  }

  /** What the snapshot stores of the trader (the caller adds venue and candle positions). */
  exportState(): Pick<EngineSnapshot, 'state' | 'positions' | 'pendingOrders' | 'ruleStatistics'> {
    return {
      state: this.state,
      positions: this.managedPositions(),
      pendingOrders: this.pendingOrders(),
      ruleStatistics: this.ruleStats.toJSON(),
    };
  }

  restoreState(snapshot: Pick<EngineSnapshot, 'state' | 'positions' | 'pendingOrders' | 'ruleStatistics'>): void {
    this.state = { ...snapshot.state };
    this.positions.clear();
    for (const p of snapshot.positions) this.positions.set(p.symbol, p);
    this.pending.clear();
    for (const o of snapshot.pendingOrders) this.pending.set(o.request.clientOrderId, o);
    this.ruleStats = RuleStatistics.fromJSON(snapshot.ruleStatistics);
  }

  setPaused(paused: boolean): void {
    this.state = { ...this.state, paused };
  }

  setStrategyMode(mode: StrategyMode): void {
    this.state = { ...this.state, strategyMode: mode };
  }

  /** Asks the position controller to close a position at its next tick (manual, emergency, shutdown). */
  requestExit(symbol: string, reason: ExitReason): boolean {
    if (!this.positions.has(symbol)) return false;
    this.exitRequests.set(symbol, reason);
    return true;
  }

  /** The mode decisions are made in: grade C and "no model yet" mean rules (BLUEPRINT grades). */
  effectiveMode(): { mode: StrategyMode; label: string } {
    if (this.state.grade === 'C') return { mode: 'rules', label: 'rules (grade C)' };
    if (this.state.strategyMode === 'rules') return { mode: 'rules', label: 'rules' };
    // No promoted model yet (the learning issue adds one): trade on rule statistics.
    return { mode: 'rules', label: 'rules (no model yet)' };
  }

  /** Feeds warm-up history to the signal generators (no decisions). */
  warmUp(symbol: string, candles: readonly import('./types.js').Candle[]): void {
    const generator = this.generators.get(symbol);
    if (generator === undefined) return;
    for (const candle of candles) generator.update(candle);
  }

  // ── decisions at candle close ───────────────────────────────────────────

  /** A batch of closed candles (one close time): update signals, flag reversals, try entries. */
  onCandles(batch: readonly ClosedCandle[]): Promise<void> {
    // Synchronous until there is an entry to try: most candles bring none, and a backtest
    // runs this for every candle (no async frame, no promise per candle then).
    let candidates: { symbol: string; signal: Signal; decidedAt: number; price: number }[] | null = null;
    for (const closed of batch) {
      const { symbol, candle } = closed;
      const closeAt = candle.timestamp + CANDLE_MS;
      // The mark is refreshed from the exchange's positions at each controller tick.
      const last = this.lastPrice.get(symbol);
      if (last === undefined) this.lastPrice.set(symbol, { price: candle.close, mark: candle.close, at: closeAt });
      else {
        last.price = candle.close;
        last.at = closeAt;
      }
      const generator = this.generators.get(symbol);
      if (generator === undefined) continue;
      const signal = generator.update(candle);
      if (signal === null) continue;
      const open = this.positions.get(symbol);
      if (open !== undefined) {
        if (open.side !== signal.side) this.reversals.add(symbol);
        continue;
      }
      if (this.hasPendingEntry(symbol)) continue;
      (candidates ??= []).push({ symbol, signal, decidedAt: closeAt, price: candle.close });
    }
    return candidates === null ? NOTHING_TO_DO : this.tryEntries(candidates);
  }

  private async tryEntries(candidates: readonly { symbol: string; signal: Signal; decidedAt: number; price: number }[]): Promise<void> {
    for (const candidate of candidates) await this.tryEntry(candidate.symbol, candidate.signal, candidate.price, candidate.decidedAt);
  }

  private hasPendingEntry(symbol: string): boolean {
    for (const order of this.pending.values()) if (order.purpose === 'entry' && order.request.symbol === symbol) return true;
    return false;
  }

  private predict(signal: Signal): Prediction {
    const { label } = this.effectiveMode();
    const { winProbability, confidence } = this.ruleStats.predict(signal);
    return { winProbability, confidence, modelVersion: null, source: label };
  }

  /**
   * The account read runs at most every `balanceRefreshMs`, or fresh just before an entry
   * (ISSUE: PositionController). `fresh` says whether this call read the exchange.
   */
  private async balance(forEntry: boolean): Promise<{ value: Balance; fresh: boolean }> {
    const now = this.deps.clock.now();
    if (!forEntry && this.balanceCache !== null && now - this.balanceCache.at < this.config.balanceRefreshMs)
      return { value: this.balanceCache.value, fresh: false };
    const value = await this.deps.exchange.fetchBalance();
    this.balanceCache = { value, at: now };
    return { value, fresh: true };
  }

  private async tryEntry(symbol: string, signal: Signal, price: number, decidedAt: number): Promise<void> {
    const rules = this.deps.rules.get(symbol);
    if (rules === undefined) return;
    const prediction = this.predict(signal);
    // Screen on the cached balance: a refused signal (paused, limits, thresholds) costs no account read.
    const screened = await this.balance(false);
    const { mode, label } = this.effectiveMode();
    const inputFor = (balance: Balance): PlanInput => ({
      symbol,
      side: signal.side,
      referencePrice: price,
      baseSlPct: signal.baseSlPct,
      winProbability: prediction.winProbability,
      confidence: prediction.confidence,
      exploration: false,
      equityUsdt: balance.equityUsdt,
      availableBalanceUsdt: balance.availableBalanceUsdt,
      openPositions: this.positions.size + this.countPendingEntries(),
      rules,
      mode: {
        paused: this.state.paused,
        strategyMode: mode,
        grade: this.state.grade,
        closedTradeCount: this.state.closedTradeCount,
      },
      config: this.config.pipeline,
    });
    const input = inputFor(screened.value);
    let result = planEntry(input);
    if (!result.ok && refusedOnlyByModelThresholds(result.refusals) && this.config.explorationRate > 0) {
      const seen = this.state.explorationSeen + 1;
      const take = seededUniform(this.config.explorationSeed, seen) < this.config.explorationRate;
      this.state = { ...this.state, explorationSeen: seen, explorationTaken: this.state.explorationTaken + (take ? 1 : 0) };
      if (take) result = planEntry({ ...input, exploration: true });
    }
    if (result.ok && !screened.fresh) {
      // An entry: size it on a fresh read of the account.
      const fresh = await this.balance(true);
      result = planEntry({ ...inputFor(fresh.value), exploration: result.plan.exploration });
    }
    if (!result.ok) {
      this.deps.onEvent?.({ kind: 'refused', symbol, side: signal.side, reasons: result.refusals.map((r) => r.reason) });
      return;
    }
    const plan = result.plan;
    const draft: EntryDraft = {
      side: plan.side,
      leverage: plan.leverage,
      leverageRaw: plan.leverageRaw,
      leverageClamps: plan.leverageClamps,
      slDistance: plan.slDistance,
      tpDistance: plan.tpDistance,
      winProbability: prediction.winProbability,
      confidence: prediction.confidence,
      baseSlPct: signal.baseSlPct,
      rule: signal.rule,
      tickSize: plan.tickSize,
      stepSize: plan.stepSize,
      minNotionalUsdt: plan.minNotionalUsdt,
      exploration: plan.exploration,
      strategyMode: plan.exploration ? `${label} · exploration` : label,
      modelVersion: prediction.modelVersion,
      decidedAt,
    };
    try {
      await this.deps.exchange.setLeverage(symbol, plan.leverage);
    } catch (error) {
      this.warn(`could not set ${plan.leverage}x on ${symbol}; entry skipped: ${describeError(error)}`);
      return;
    }
    await this.send(
      { symbol, side: entrySide(plan.side), type: 'market', quantity: plan.size, reduceOnly: false, clientOrderId: clientOrderId('entry', symbol, decidedAt) },
      'entry',
      1,
      draft,
      plan,
    );
  }

  private countPendingEntries(): number {
    let n = 0;
    for (const order of this.pending.values()) if (order.purpose === 'entry') n++;
    return n;
  }

  /**
   * Persist the intent, send, persist the result (STYLE.md §6). An uncertain outcome
   * stays pending and is settled by client order id at the next tick, never resent blindly.
   */
  private async send(
    request: OrderRequest,
    purpose: PendingPurpose,
    priority: Priority,
    draft: EntryDraft | null,
    plan: EntryPlan | null = null,
  ): Promise<OrderState | null> {
    const createdAt = this.deps.clock.now();
    this.pending.set(request.clientOrderId, { request, purpose, createdAt, stage: 'intent', draft });
    this.sending.add(request.clientOrderId);
    try {
      return await this.sendPersisted(request, purpose, priority, draft, plan, createdAt);
    } finally {
      this.sending.delete(request.clientOrderId);
    }
  }

  private async sendPersisted(
    request: OrderRequest,
    purpose: PendingPurpose,
    priority: Priority,
    draft: EntryDraft | null,
    plan: EntryPlan | null,
    createdAt: number,
  ): Promise<OrderState | null> {
    await this.deps.persist(`${purpose} intent ${request.clientOrderId}`);
    try {
      const order = await this.deps.exchange.placeOrder(request, priority);
      this.pending.set(request.clientOrderId, { request, purpose, createdAt, stage: 'sent', draft });
      if (purpose === 'entry' && plan !== null)
        this.log.info('entry sent', { symbol: request.symbol, side: plan.side, size: plan.size, leverage: plan.leverage, clientOrderId: request.clientOrderId });
      if (purpose !== 'entry') this.pending.delete(request.clientOrderId);
      await this.deps.persist(`${purpose} sent ${request.clientOrderId}`);
      return order;
    } catch (error) {
      if (error instanceof OrderUncertainError) {
        this.warn(`${purpose} order ${request.clientOrderId} outcome unknown; will reconcile by client order id`);
        this.pending.set(request.clientOrderId, { request, purpose, createdAt, stage: 'sent', draft });
      } else {
        this.pending.delete(request.clientOrderId);
        if (error instanceof InsufficientFundsError) this.balanceCache = null;
        this.warn(`${purpose} order ${request.clientOrderId} refused: ${describeError(error)}`);
      }
      await this.deps.persist(`${purpose} failed ${request.clientOrderId}`);
      return null;
    }
  }

  // ── the position controller's tick ──────────────────────────────────────

  /**
   * Evaluates everything open against the exchange's positions (fetched once by the
   * controller): settles entries, places protection, finalises closed positions and
   * executes exits (closes on priority 0).
   */
  async controlTick(exchangePositions: readonly ExchangePosition[]): Promise<void> {
    const bySymbol = new Map<string, ExchangePosition>();
    for (const p of exchangePositions) if (p.size > 0) bySymbol.set(p.symbol, p);
    for (const p of exchangePositions) {
      const last = this.lastPrice.get(p.symbol);
      if (last !== undefined) this.lastPrice.set(p.symbol, { ...last, mark: p.markPrice });
    }
    // Taken at the start: a reversal flagged by a candle that closes while this tick runs
    // (live: candles and ticks interleave) is kept for the next tick, not cleared unseen.
    const reversals = new Set(this.reversals);
    this.reversals.clear();
    if (this.pending.size > 0) await this.settleEntries(bySymbol);
    for (const position of [...this.positions.values()]) {
      const onExchange = bySymbol.get(position.symbol);
      if (onExchange === undefined) {
        await this.finalise(position);
        continue;
      }
      if (position.exitClientOrderId !== null) {
        await this.retryEndedClose(position);
        continue;
      }
      const reason = this.exitReasonFor(position, onExchange, reversals);
      if (reason !== null) await this.close(position, reason);
    }
  }

  /**
   * The tick used while the exchange cannot be read (rate-limit block, ARCHITECTURE
   * "Execution lanes"): the controller works from its own position state and the last known
   * prices. Exits (manual, emergency, time, liquidation risk, reversal) still go out, on
   * priority 0, which the block lets through; nothing is settled or finalised until the
   * positions can be read again.
   */
  async controlTickFromOwnState(): Promise<void> {
    const reversals = new Set(this.reversals);
    this.reversals.clear();
    for (const position of [...this.positions.values()]) {
      if (position.exitClientOrderId !== null) continue;
      const last = this.lastPrice.get(position.symbol);
      const mark = last?.mark ?? last?.price ?? position.entryPrice;
      const assumed: ExchangePosition = {
        symbol: position.symbol,
        side: position.side,
        size: position.size,
        entryPrice: position.entryPrice,
        markPrice: mark,
        leverage: position.leverage,
        isolatedMarginUsdt: (position.size * position.entryPrice) / position.leverage,
        liquidationPrice: position.liquidationPrice,
        unrealizedPnlUsdt: sideSign(position.side) * (mark - position.entryPrice) * position.size,
        updatedAt: last?.at ?? position.openedAt,
      };
      const reason = this.exitReasonFor(position, assumed, reversals);
      if (reason !== null) await this.close(position, reason);
    }
    // Reversals not acted on now wait for the next tick.
    for (const symbol of reversals) if (this.positions.get(symbol)?.exitClientOrderId === null) this.reversals.add(symbol);
  }

  /**
   * A close that ended without closing (expired, cancelled, rejected) while the position is
   * still open must not leave the position waiting for it forever: request the exit again.
   */
  private async retryEndedClose(position: ManagedPosition): Promise<void> {
    const id = position.exitClientOrderId;
    if (id === null || this.pending.has(id)) return;
    const order = await this.deps.exchange.fetchOrder(position.symbol, id);
    if (order === null || order.status === 'new' || order.status === 'partially_filled') return;
    if (order.status === 'filled') return; // the position's remainder, if any, is finalised when it is gone
    this.positions.set(position.symbol, { ...position, exitClientOrderId: null });
    if (position.exitReason !== null) this.exitRequests.set(position.symbol, position.exitReason);
    this.warn(`close of ${position.symbol} (${id}) ended ${order.status} with the position still open; it will be sent again`);
  }

  /** An order that never reached the exchange: the position must not wait for it. */
  private async forgetUnsent(order: PendingOrder): Promise<void> {
    const { symbol, clientOrderId: id } = order.request;
    this.pending.delete(id);
    const position = this.positions.get(symbol);
    if (position === undefined) return;
    if (order.purpose === 'close' && position.exitClientOrderId === id) {
      this.positions.set(symbol, { ...position, exitClientOrderId: null });
      if (position.exitReason !== null) this.exitRequests.set(symbol, position.exitReason);
      this.warn(`close of ${symbol} (${id}) never reached the exchange; it will be sent again`);
    } else if (order.purpose === 'sl' && position.slClientOrderId === id) {
      await this.ensureStop(position);
    }
    await this.deps.persist(`${order.purpose} never sent ${id}`);
  }

  private exitReasonFor(position: ManagedPosition, onExchange: ExchangePosition, reversals: ReadonlySet<string>): ExitReason | null {
    const requested = this.exitRequests.get(position.symbol);
    if (requested !== undefined) return requested;
    const now = this.deps.clock.now();
    const mark = onExchange.markPrice;
    // The stop should have fired before the buffer zone; if it has not (gap, missing stop), get out.
    // The exchange's current liquidation price: funding paid out of the isolated margin moves it closer.
    const liquidationPrice = onExchange.liquidationPrice ?? position.liquidationPrice;
    const buffer = this.config.pipeline.liquidationBufferRate * position.entryPrice;
    if (liquidationPrice > 0 && sideSign(position.side) * (mark - liquidationPrice) <= buffer) return 'liquidation_risk';
    if (this.config.timeStopMs > 0 && now - position.openedAt >= this.config.timeStopMs) return 'time';
    if (reversals.has(position.symbol)) return 'signal';
    return null;
  }

  private async settleEntries(bySymbol: ReadonlyMap<string, ExchangePosition>): Promise<void> {
    for (const pendingOrder of [...this.pending.values()]) {
      const { request } = pendingOrder;
      // Its send is still running (an entry from a candle close while this tick runs):
      // settling it now could open the position twice.
      if (this.sending.has(request.clientOrderId)) continue;
      if (pendingOrder.purpose !== 'entry') {
        // A close/protection order whose outcome was unknown: it is either on the exchange or not.
        const found = await this.deps.exchange.fetchOrder(request.symbol, request.clientOrderId);
        if (found !== null) this.pending.delete(request.clientOrderId);
        else if (pendingOrder.stage === 'intent' || this.deps.clock.now() - pendingOrder.createdAt > this.config.entryTimeoutMs)
          await this.forgetUnsent(pendingOrder);
        continue;
      }
      const order = await this.deps.exchange.fetchOrder(request.symbol, request.clientOrderId);
      if (order === null) {
        // Never reached the exchange (crash between intent and send, or refused): forget it.
        this.pending.delete(request.clientOrderId);
        this.log.info('entry intent was never sent; dropped', { clientOrderId: request.clientOrderId });
        await this.deps.persist('entry dropped');
        continue;
      }
      if (order.status === 'filled' && order.averagePrice !== null && pendingOrder.draft !== null) {
        this.pending.delete(request.clientOrderId);
        await this.openManaged(pendingOrder.draft, order, bySymbol.get(request.symbol) ?? null);
        continue;
      }
      if (order.status === 'canceled' || order.status === 'rejected' || order.status === 'expired') {
        this.pending.delete(request.clientOrderId);
        await this.deps.persist('entry ended unfilled');
        continue;
      }
      if (this.deps.clock.now() - pendingOrder.createdAt > this.config.entryTimeoutMs) {
        await this.cancelQuietly(request.symbol, request.clientOrderId);
        this.pending.delete(request.clientOrderId);
        await this.deps.persist('entry timed out');
      }
    }
  }

  /** BLUEPRINT pipeline step 8: SL/TP from the average fill; the stop is on the exchange (protection while down). */
  private async openManaged(draft: EntryDraft, order: OrderState, onExchange: ExchangePosition | null): Promise<void> {
    const rules = this.deps.rules.get(order.symbol);
    const entryPrice = order.averagePrice ?? 0;
    const size = order.filledQuantity;
    const { slPrice, tpPrice } = slTpFromFill({ side: draft.side, slDistance: draft.slDistance, tpDistance: draft.tpDistance, tickSize: draft.tickSize }, entryPrice);
    const { notionalUsdt, marginUsdt } = tradeMargins(size, entryPrice, draft.leverage);
    const liquidationPrice =
      onExchange?.liquidationPrice ??
      (rules === undefined
        ? 0
        : isolatedLiquidationPrice({ side: draft.side, size, entryPrice, isolatedMarginUsdt: marginUsdt, brackets: rules.brackets }));
    const slId = clientOrderId('sl', order.symbol, draft.decidedAt);
    const tpId = clientOrderId('tp', order.symbol, draft.decidedAt);
    const { slDistance: _sl, tpDistance: _tp, decidedAt: _at, ...decision } = draft;
    let position: ManagedPosition = {
      ...decision,
      symbol: order.symbol,
      size,
      entryPrice,
      slPrice,
      tpPrice,
      liquidationPrice,
      openedAt: order.updatedAt,
      entryClientOrderId: order.clientOrderId,
      slClientOrderId: slId,
      tpClientOrderId: tpId,
      feesUsdt: order.feeUsdt,
      fundingUsdt: 0,
      adopted: false,
      exitClientOrderId: null,
      exitReason: null,
    };
    this.positions.set(order.symbol, position);
    this.log.info('position opened', { symbol: order.symbol, side: draft.side, size, entryPrice, slPrice, tpPrice, leverage: draft.leverage, notionalUsdt });
    const stop = await this.send(
      { symbol: order.symbol, side: exitSide(draft.side), type: 'stop_market', quantity: size, stopPrice: slPrice, reduceOnly: true, clientOrderId: slId },
      'sl',
      0,
      null,
    );
    const take = await this.send(
      { symbol: order.symbol, side: exitSide(draft.side), type: 'take_profit_market', quantity: size, stopPrice: tpPrice, reduceOnly: true, clientOrderId: tpId },
      'tp',
      0,
      null,
    );
    if (take === null) position = { ...position, tpClientOrderId: null };
    this.positions.set(order.symbol, position);
    this.deps.onEvent?.({ kind: 'entry', position });
    if (stop === null) {
      // An unprotected position is not acceptable: close it now.
      this.warn(`stop for ${order.symbol} could not be placed; closing the position`);
      await this.close({ ...position, slClientOrderId: null }, 'liquidation_risk');
    }
    await this.deps.persist('position opened');
  }

  /** Sends a reduce-only market close on priority 0. */
  private async close(position: ManagedPosition, reason: ExitReason): Promise<void> {
    const id = clientOrderId('close', position.symbol, this.deps.clock.now());
    const closing: ManagedPosition = { ...position, exitClientOrderId: id, exitReason: reason };
    this.positions.set(position.symbol, closing);
    this.exitRequests.delete(position.symbol);
    const order = await this.send(
      { symbol: position.symbol, side: exitSide(position.side), type: 'market', quantity: position.size, reduceOnly: true, clientOrderId: id },
      'close',
      0,
      null,
    );
    if (order === null && this.pending.has(id)) {
      // Outcome unknown: keep waiting for this close; it is settled by client order id, never resent blindly.
    } else if (order === null) {
      // Refused (the position is already gone, a busy exchange, …): the exit stays requested, so
      // the next tick finalises a gone position or sends the close again (a manual or emergency
      // request, or a reversal, must not be lost to one failed request).
      this.positions.set(position.symbol, { ...closing, exitClientOrderId: null });
      this.exitRequests.set(position.symbol, reason);
      await this.deps.persist('close refused');
    } else {
      this.log.info('close sent', { symbol: position.symbol, reason, clientOrderId: id });
    }
  }

  private async cancelQuietly(symbol: string, id: string | null): Promise<void> {
    if (id === null) return;
    try {
      await this.deps.exchange.cancelOrder(symbol, id, 0);
    } catch (error) {
      if (!(error instanceof InvalidOrderError)) this.log.debug('cancel failed', { symbol, clientOrderId: id, error: describeError(error) });
    }
  }

  private async orderState(symbol: string, id: string | null): Promise<OrderState | null> {
    return id === null ? null : this.deps.exchange.fetchOrder(symbol, id);
  }

  /** The order if it filled (with an average price), else null. */
  private static filled(order: OrderState | null): OrderState | null {
    if (order === null || order.filledQuantity <= 0) return null;
    // A triggered stop whose payload has no average price: its trigger is the best estimate.
    const averagePrice = order.averagePrice ?? order.stopPrice ?? order.price;
    return averagePrice === null ? null : { ...order, averagePrice };
  }

  private static isOpen(order: OrderState | null): boolean {
    return order !== null && (order.status === 'new' || order.status === 'partially_filled');
  }

  /** The position is gone on the exchange: find out how it ended and record the trade once. */
  private async finalise(position: ManagedPosition): Promise<void> {
    const { symbol } = position;
    // One read of each order of the position: which one closed it, and which are still open.
    const [exitState, slState, tpState] = await Promise.all([
      this.orderState(symbol, position.exitClientOrderId),
      this.orderState(symbol, position.slClientOrderId),
      this.orderState(symbol, position.tpClientOrderId),
    ]);
    const exitOrder = Trader.filled(exitState);
    const slOrder = exitOrder === null ? Trader.filled(slState) : null;
    const tpOrder = exitOrder === null && slOrder === null ? Trader.filled(tpState) : null;
    const filled = exitOrder ?? slOrder ?? tpOrder;
    let exitReason: ExitReason;
    let exitPrice: number;
    let exitFee = 0;
    const last = this.lastPrice.get(symbol);
    const mark = last?.mark ?? position.entryPrice;
    // None of our orders closed it: the exchange did (liquidation), or someone else did.
    const forced = filled === null ? (await this.deps.exchange.fetchForcedCloses(symbol, position.openedAt)).at(-1) : undefined;
    let closedAt = filled?.updatedAt ?? null;
    if (filled !== null) {
      exitReason = exitOrder !== null ? (position.exitReason ?? 'manual') : slOrder !== null ? 'sl' : 'tp';
      exitPrice = filled.averagePrice ?? position.entryPrice;
      exitFee = filled.feeUsdt;
    } else if (forced !== undefined) {
      exitReason = 'liquidation';
      exitPrice = forced.price;
      closedAt = forced.at;
    } else {
      exitReason = 'external';
      exitPrice = last?.price ?? mark;
    }
    // Only what is still open is cancelled (the exchange usually expired them with the position).
    await Promise.all([
      this.cancelQuietly(symbol, Trader.isOpen(slState) ? position.slClientOrderId : null),
      this.cancelQuietly(symbol, Trader.isOpen(tpState) ? position.tpClientOrderId : null),
    ]);
    const funding = await this.deps.exchange.fetchFundingPayments(symbol, position.openedAt);
    const fundingUsdt = funding.reduce((sum, f) => sum + f.amountUsdt, 0);
    const now = this.deps.clock.now();
    const { notionalUsdt, marginUsdt } = tradeMargins(position.size, position.entryPrice, position.leverage);
    const feesUsdt = position.feesUsdt + exitFee;
    const liquidated = exitReason === 'liquidation';
    // On liquidation Binance keeps the whole isolated margin (the rest goes to the insurance fund);
    // funding was paid into that margin, so it is lost with it.
    const pricePnl = liquidated ? -(marginUsdt + fundingUsdt) : sideSign(position.side) * (exitPrice - position.entryPrice) * position.size;
    const pnlUsdt = pricePnl - feesUsdt + fundingUsdt;
    const trade: TradeRecord = {
      id: position.entryClientOrderId,
      symbol,
      side: position.side,
      openedAt: position.openedAt,
      closedAt: closedAt ?? now,
      entryPrice: position.entryPrice,
      exitPrice,
      size: position.size,
      notionalUsdt,
      marginUsdt,
      winProbability: position.winProbability,
      confidence: position.confidence,
      leverageRaw: position.leverageRaw,
      leverage: position.leverage,
      leverageClamps: position.leverageClamps,
      baseSlPct: position.baseSlPct,
      slPrice: position.slPrice,
      tpPrice: position.tpPrice,
      liquidationPrice: position.liquidationPrice,
      tickSize: position.tickSize,
      stepSize: position.stepSize,
      minNotionalUsdt: position.minNotionalUsdt,
      riskAmountUsdt: marginUsdt,
      plannedRiskUsdt: plannedRiskUsdt(position.size, position.entryPrice, position.slPrice),
      feesUsdt,
      fundingUsdt,
      pnlUsdt,
      exitReason,
      is100PctLoss: is100PctLoss(pnlUsdt, marginUsdt),
      liquidated,
      exploration: position.exploration,
      strategyMode: position.strategyMode,
      modelVersion: position.modelVersion,
    };
    // Record first (idempotent by id), then forget the position: a crash in between re-records the same id.
    await this.deps.recordTrade(trade);
    this.positions.delete(symbol);
    this.exitRequests.delete(symbol);
    this.state = { ...this.state, closedTradeCount: this.state.closedTradeCount + 1 };
    if (!position.adopted) this.ruleStats.record(position.rule, position.side, pnlUsdt > 0);
    this.balanceCache = null;
    this.log.info('position closed', { symbol, side: position.side, exitReason, entryPrice: position.entryPrice, exitPrice, pnlUsdt: round2(pnlUsdt) });
    this.deps.onEvent?.({ kind: 'exit', trade });
    await this.deps.persist('position closed');
  }

  // ── start-up reconciliation ─────────────────────────────────────────────

  /**
   * Compares the restored state with the exchange (ISSUE: start-up reconciliation):
   * settles orders of unknown outcome by client order id, resumes managed positions and
   * re-places a missing stop, adopts or reports unknown positions on configured symbols,
   * and records positions that closed while the bot was down. Returns a one-paragraph summary.
   */
  async reconcile(): Promise<string> {
    const positions = await this.deps.exchange.fetchPositions(1);
    const open = new Map(positions.filter((p) => p.size > 0).map((p) => [p.symbol, p] as const));
    const pendingBefore = this.pending.size;
    await this.settleEntries(open);
    const resumed: string[] = [];
    const closedWhileDown: string[] = [];
    for (const position of [...this.positions.values()]) {
      if (!open.has(position.symbol)) {
        closedWhileDown.push(position.symbol);
        await this.finalise(position);
        continue;
      }
      resumed.push(position.symbol);
      await this.ensureStop(position);
    }
    const adopted: string[] = [];
    const reported: string[] = [];
    for (const p of open.values()) {
      if (this.positions.has(p.symbol) || !this.config.symbols.includes(p.symbol)) {
        if (!this.positions.has(p.symbol)) reported.push(p.symbol);
        continue;
      }
      if (this.config.unknownPositions === 'adopt') {
        await this.adopt(p);
        adopted.push(p.symbol);
      } else reported.push(p.symbol);
    }
    await this.deps.persist('reconciled');
    const summary =
      `Reconciled with the exchange: ${resumed.length} position(s) resumed with their SL/TP (${resumed.join(', ') || 'none'}); ` +
      `${closedWhileDown.length} closed while the bot was down and recorded (${closedWhileDown.join(', ') || 'none'}); ` +
      `${adopted.length} unknown position(s) adopted with a protective stop (${adopted.join(', ') || 'none'}); ` +
      `${reported.length} left alone and reported (${reported.join(', ') || 'none'}); ` +
      `${pendingBefore} pending order(s) settled by client order id, ${this.pending.size} still pending.`;
    this.log.info(summary);
    return summary;
  }

  private async ensureStop(position: ManagedPosition): Promise<void> {
    if (position.exitClientOrderId !== null) return;
    const stop = position.slClientOrderId === null ? null : await this.deps.exchange.fetchOrder(position.symbol, position.slClientOrderId);
    if (stop !== null && (stop.status === 'new' || stop.status === 'partially_filled')) return;
    if (stop !== null && stop.status === 'filled') return; // finalised at the next tick
    const id = clientOrderId('sl', position.symbol, this.deps.clock.now());
    const placed = await this.send(
      { symbol: position.symbol, side: exitSide(position.side), type: 'stop_market', quantity: position.size, stopPrice: position.slPrice, reduceOnly: true, clientOrderId: id },
      'sl',
      0,
      null,
    );
    this.positions.set(position.symbol, { ...position, slClientOrderId: placed === null ? null : id });
    if (placed !== null) {
      this.warn(`stop of ${position.symbol} was missing; re-placed at ${position.slPrice}`);
      return;
    }
    // The exchange refuses the stop (typically: the price is already through it): an
    // unprotected position is not kept, it is closed at the next tick.
    this.warn(`stop of ${position.symbol} is missing and could not be re-placed at ${position.slPrice}; closing the position`);
    this.exitRequests.set(position.symbol, 'sl');
  }

  private async adopt(p: ExchangePosition): Promise<void> {
    const rules = this.deps.rules.get(p.symbol);
    const tick = rules?.filters.tickSize ?? 0.01;
    const slDistance = roundPrice(p.entryPrice * this.config.adoptedBaseSlRate, tick, 'up');
    const sign = sideSign(p.side);
    // A position already further in loss than the base SL would get a stop that triggers at
    // once (Binance -2021): protect it the same distance beyond the mark instead.
    const fromEntry = roundPrice(p.entryPrice - sign * slDistance, tick, 'nearest');
    const fromMark = roundPrice(p.markPrice - sign * roundPrice(p.markPrice * this.config.adoptedBaseSlRate, tick, 'up'), tick, 'nearest');
    const slPrice = sign > 0 ? Math.min(fromEntry, fromMark) : Math.max(fromEntry, fromMark);
    const now = this.deps.clock.now();
    const slId = clientOrderId('sl', p.symbol, now);
    const leverage = p.leverage ?? Math.max(1, Math.round((p.size * p.entryPrice) / Math.max(p.isolatedMarginUsdt, 1e-9)));
    const position: ManagedPosition = {
      symbol: p.symbol,
      side: p.side,
      size: p.size,
      entryPrice: p.entryPrice,
      slPrice,
      tpPrice: roundPrice(p.entryPrice + sign * slDistance * 1.5, tick, 'nearest'),
      liquidationPrice: p.liquidationPrice ?? 0,
      leverage,
      leverageRaw: leverage,
      leverageClamps: [],
      openedAt: now,
      winProbability: 0,
      confidence: 0,
      baseSlPct: this.config.adoptedBaseSlRate,
      rule: 'adopted',
      tickSize: tick,
      stepSize: rules?.filters.stepSize ?? 0,
      minNotionalUsdt: Math.max(10, rules?.filters.minNotional ?? 0),
      exploration: false,
      strategyMode: 'adopted',
      modelVersion: null,
      entryClientOrderId: `adopted_${p.symbol}_${now.toString(36)}`,
      slClientOrderId: slId,
      tpClientOrderId: null,
      feesUsdt: 0,
      fundingUsdt: 0,
      adopted: true,
      exitClientOrderId: null,
      exitReason: null,
    };
    this.positions.set(p.symbol, position);
    const stop = await this.send(
      { symbol: p.symbol, side: exitSide(p.side), type: 'stop_market', quantity: p.size, stopPrice: slPrice, reduceOnly: true, clientOrderId: slId },
      'sl',
      0,
      null,
    );
    if (stop === null) {
      this.positions.set(p.symbol, { ...position, slClientOrderId: null });
      this.warn(`adopted an unknown ${p.side} position on ${p.symbol} (size ${p.size} at ${p.entryPrice}) but its protective stop at ${slPrice} was refused`);
    } else {
      this.warn(`adopted an unknown ${p.side} position on ${p.symbol} (size ${p.size} at ${p.entryPrice}) with a protective stop at ${slPrice}`);
    }
  }

  private warn(message: string): void {
    this.log.warn(message);
    this.deps.onEvent?.({ kind: 'warning', message });
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
