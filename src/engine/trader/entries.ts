/**
 * Entry planning and sending (ARCHITECTURE.md "Data flow of one decision"): closed
 * candle → signal → prediction → the "From signal to order" pipeline (pipeline.ts) →
 * leverage set → entry order through the journal.
 */
import { TraderError, describeError } from '../../errors.js';
import { clientOrderId } from '../client-order-id.js';
import { type EntryPlan, type PlanInput, type PlanResult, type Refusal, planEntry, refusedOnlyByModelThresholds } from '../pipeline.js';
import type { ClosedCandle, EntryDraft, Prediction } from '../ports.js';
import type { Signal } from '../signals.js';
import { CANDLE_MS, type Balance, type SymbolRules } from '../types.js';
import { NOTHING_TO_DO, type TraderContext, entrySide, modeOf, warn } from './context.js';
import { send } from './journal.js';
import { openIfFilled } from './settlement.js';

interface Candidate {
  readonly symbol: string;
  readonly signal: Signal;
  readonly decidedAt: number;
  readonly price: number;
}

/** A batch of closed candles (one close time): update signals, flag reversals, try entries. */
export function onCandles(ctx: TraderContext, batch: readonly ClosedCandle[]): Promise<void> {
  // Synchronous until there is an entry to try: most candles bring none, and a backtest
  // runs this for every candle (no async frame, no promise per candle then).
  const { book } = ctx;
  let candidates: Candidate[] | null = null;
  for (const closed of batch) {
    const { symbol, candle } = closed;
    const closeAt = candle.timestamp + CANDLE_MS;
    // The mark is refreshed from the exchange's positions at each controller tick.
    const last = book.lastPrice.get(symbol);
    if (last === undefined) book.lastPrice.set(symbol, { price: candle.close, mark: candle.close, at: closeAt });
    else {
      last.price = candle.close;
      last.at = closeAt;
    }
    const generator = book.generators.get(symbol);
    if (generator === undefined) continue;
    const signal = generator.update(candle);
    ctx.predictor.observe?.(symbol, candle, signal, closeAt);
    if (signal === null) continue;
    const open = book.positions.get(symbol);
    if (open !== undefined) {
      if (open.side !== signal.side) book.reversals.add(symbol);
      continue;
    }
    if (book.hasPendingEntry(symbol)) continue;
    (candidates ??= []).push({ symbol, signal, decidedAt: closeAt, price: candle.close });
  }
  return candidates === null ? NOTHING_TO_DO : tryEntries(ctx, candidates);
}

/**
 * The candidates one after the other. Synchronous (NOTHING_TO_DO) as long as each is settled
 * without waiting, which a refused signal is (screened on the cached account figures); from the
 * first entry that must wait, the rest follow it.
 */
function tryEntries(ctx: TraderContext, candidates: readonly Candidate[], from = 0): Promise<void> {
  for (let i = from; i < candidates.length; i++) {
    const candidate = candidates[i]!;
    // The engine state gates entries (reducing: exits and protection only; halted: protection only).
    if (!entriesAllowed(ctx, candidate)) continue;
    let attempt: Promise<void>;
    try {
      attempt = tryEntry(ctx, candidate);
    } catch (error) {
      // Anything but an exchange error is a bug: thrown on (the candle handlers are async: it rejects there).
      if (!(error instanceof TraderError)) throw error;
      entryFailed(ctx, candidate, error);
      continue;
    }
    if (attempt !== NOTHING_TO_DO) {
      return attempt.then(
        () => tryEntries(ctx, candidates, i + 1),
        (error: unknown) => {
          if (!(error instanceof TraderError)) throw error;
          entryFailed(ctx, candidate, error);
          return tryEntries(ctx, candidates, i + 1);
        },
      );
    }
  }
  return NOTHING_TO_DO;
}

/** An exchange error on an entry never ends the candle loop; its reaction drives the engine state. */
function entryFailed(ctx: TraderContext, candidate: Candidate, error: TraderError): void {
  ctx.deps.entryGate?.observe(error, `entry ${candidate.symbol}`);
  warn(ctx, `entry on ${candidate.symbol} not sent: ${describeError(error)}`);
}

/** False (and the signal reported refused, without a request) while the engine is reducing or halted. */
function entriesAllowed(ctx: TraderContext, candidate: Candidate): boolean {
  const gate = ctx.deps.entryGate;
  if (gate === undefined || gate.canEnter()) return true;
  const { state, reason } = gate.status();
  ctx.log.info(`signal on ${candidate.symbol} not traded: engine ${state}`, { symbol: candidate.symbol, reason });
  ctx.deps.onEvent?.({
    kind: 'refused',
    symbol: candidate.symbol,
    side: candidate.signal.side,
    reasons: [`engine ${state}${reason !== null ? `: ${reason}` : ''}`],
    codes: [`engine_${state}`],
  });
  return false;
}

/**
 * The account read runs at most every `balanceRefreshMs`, or fresh just before an entry
 * (ISSUE: PositionController). The cached figures while they are recent, else null.
 */
function cachedBalance(ctx: TraderContext): Balance | null {
  const cache = ctx.book.balanceCache;
  return cache !== null && ctx.deps.clock.now() - cache.at < ctx.config.balanceRefreshMs ? cache.value : null;
}

/**
 * A fresh read of the account, kept as the cache: at once on a venue read without a request
 * (the paper exchange's `balanceNow`), else the exchange's answer.
 */
function freshBalance(ctx: TraderContext): Balance | Promise<Balance> {
  const at = ctx.deps.clock.now();
  const { exchange } = ctx.deps;
  if (exchange.balanceNow !== undefined) return keepBalance(ctx, exchange.balanceNow(), at);
  return exchange.fetchBalance().then((value) => keepBalance(ctx, value, at));
}

function keepBalance(ctx: TraderContext, value: Balance, at: number): Balance {
  ctx.book.balanceCache = { value, at };
  return value;
}

/** One candidate: NOTHING_TO_DO when settled without waiting (refused on the cached figures), else the entry in flight. */
function tryEntry(ctx: TraderContext, candidate: Candidate): Promise<void> {
  const { symbol, signal, decidedAt } = candidate;
  const rules = ctx.deps.rules.get(symbol);
  if (rules === undefined) return NOTHING_TO_DO;
  const predicted = ctx.predictor.predict({
    symbol,
    signal,
    decidedAt,
    modeLabel: modeOf(ctx).label,
    ruleStatistics: ctx.book.ruleStats,
  });
  // A synchronous predictor adds no wait here (the backtest's order of events stays the same).
  if (predicted instanceof Promise) return predicted.then((prediction) => screenEntry(ctx, candidate, rules, prediction));
  return screenEntry(ctx, candidate, rules, predicted);
}

/**
 * Screen on the cached balance: a refused signal (paused, limits, thresholds) costs no account
 * read. A paper venue is read at once: no wait either way.
 */
function screenEntry(ctx: TraderContext, candidate: Candidate, rules: SymbolRules, prediction: Prediction): Promise<void> {
  const cached = cachedBalance(ctx);
  if (cached !== null) return decideEntry(ctx, candidate, rules, prediction, { value: cached, fresh: false });
  return withFreshBalance(ctx, (value) => decideEntry(ctx, candidate, rules, prediction, { value, fresh: true }));
}

/** `next` on a fresh read of the account: at once when the venue answers without a request. */
function withFreshBalance(ctx: TraderContext, next: (account: Balance) => Promise<void>): Promise<void> {
  const fresh = freshBalance(ctx);
  return fresh instanceof Promise ? fresh.then(next) : next(fresh);
}

function decideEntry(
  ctx: TraderContext,
  candidate: Candidate,
  rules: SymbolRules,
  prediction: Prediction,
  screened: { readonly value: Balance; readonly fresh: boolean },
): Promise<void> {
  const { mode, label } = modeOf(ctx);
  const result = planWithExploration(ctx, planInput(ctx, candidate, prediction, rules, screened.value, mode));
  if (!result.ok) {
    refused(ctx, candidate, result.refusals);
    return NOTHING_TO_DO;
  }
  if (screened.fresh) return enter(ctx, candidate, prediction, label, result);
  // Screened on cached figures: the entry is planned again on a fresh read of the account.
  const { exploration } = result.plan;
  return withFreshBalance(ctx, (account) =>
    enter(ctx, candidate, prediction, label, planEntry({ ...planInput(ctx, candidate, prediction, rules, account, mode), exploration })),
  );
}

function refused(ctx: TraderContext, candidate: Candidate, refusals: readonly Refusal[]): void {
  ctx.deps.onEvent?.({
    kind: 'refused',
    symbol: candidate.symbol,
    side: candidate.signal.side,
    reasons: refusals.map((r) => r.reason),
    codes: refusals.map((r) => r.code),
  });
}

/**
 * An entry, planned on a fresh read of the account (`decideEntry`): leverage set, the market
 * order sent, the stop placed on its fill. Refused when the fresh figures refuse it.
 */
async function enter(ctx: TraderContext, candidate: Candidate, prediction: Prediction, label: string, result: PlanResult): Promise<void> {
  const { symbol, decidedAt } = candidate;
  if (!result.ok) {
    refused(ctx, candidate, result.refusals);
    return;
  }
  const plan = result.plan;
  try {
    await ctx.deps.exchange.setLeverage(symbol, plan.leverage);
  } catch (error) {
    ctx.deps.entryGate?.observe(error, `leverage ${symbol}`);
    warn(ctx, `could not set ${plan.leverage}x on ${symbol}; entry skipped: ${describeError(error)}`);
    return;
  }
  const entry = await send(ctx, {
    request: {
      symbol,
      side: entrySide(plan.side),
      type: 'market',
      quantity: plan.size,
      reduceOnly: false,
      clientOrderId: clientOrderId('entry', symbol, decidedAt),
    },
    purpose: 'entry',
    priority: 1,
    draft: entryDraft(plan, candidate, prediction, label),
    plan,
  });
  // The fill is known now: the stop goes out straight away on lane 0, not at the next tick.
  if (entry !== null) await openIfFilled(ctx, entry);
}

function planInput(
  ctx: TraderContext,
  candidate: Candidate,
  prediction: Prediction,
  rules: SymbolRules,
  account: Balance,
  mode: PlanInput['mode']['strategyMode'],
): PlanInput {
  const { state } = ctx.book;
  return {
    symbol: candidate.symbol,
    side: candidate.signal.side,
    referencePrice: candidate.price,
    baseSlPct: candidate.signal.baseSlPct,
    winProbability: prediction.winProbability,
    confidence: prediction.confidence,
    exploration: false,
    equityUsdt: account.equityUsdt,
    availableBalanceUsdt: account.availableBalanceUsdt,
    openPositions: ctx.book.positions.size + ctx.book.countPendingEntries(),
    rules,
    mode: {
      paused: state.paused,
      strategyMode: mode,
      grade: state.grade,
      closedTradeCount: state.closedTradeCount,
    },
    config: ctx.config.pipeline,
    // A promoted model's prediction in self-learning mode: the expected-value gate and the confidence check apply.
    ...(mode === 'self_learning' && prediction.confidenceRanks !== undefined
      ? { model: { confidenceRanks: prediction.confidenceRanks } }
      : {}),
  };
}

/**
 * Plans on the screening balance; a signal refused only by the model thresholds is taken
 * anyway at the exploration rate (seeded, reproducible). An entry is then re-planned on a
 * fresh read of the account (`decideEntry`).
 */
function planWithExploration(ctx: TraderContext, input: PlanInput): PlanResult {
  const { config, book } = ctx;
  const result = planEntry(input);
  if (!result.ok && refusedOnlyByModelThresholds(result.refusals) && config.explorationRate > 0) {
    const seen = book.state.explorationSeen + 1;
    const take = seededUniform(config.explorationSeed, seen) < config.explorationRate;
    book.state = { ...book.state, explorationSeen: seen, explorationTaken: book.state.explorationTaken + (take ? 1 : 0) };
    if (take) return planEntry({ ...input, exploration: true });
  }
  return result;
}

function entryDraft(plan: EntryPlan, candidate: Candidate, prediction: Prediction, label: string): EntryDraft {
  return {
    side: plan.side,
    leverage: plan.leverage,
    leverageRaw: plan.leverageRaw,
    leverageClamps: plan.leverageClamps,
    slDistance: plan.slDistance,
    tpDistance: plan.tpDistance,
    winProbability: prediction.winProbability,
    confidence: prediction.confidence,
    baseSlPct: candidate.signal.baseSlPct,
    rule: candidate.signal.rule,
    tickSize: plan.tickSize,
    stepSize: plan.stepSize,
    minNotionalUsdt: plan.minNotionalUsdt,
    exploration: plan.exploration,
    strategyMode: plan.exploration ? `${label} · exploration` : label,
    modelVersion: prediction.modelVersion,
    decidedAt: candidate.decidedAt,
    referencePrice: candidate.price,
    ...(plan.expectedR !== null ? { expectedR: plan.expectedR } : {}),
  };
}

/** mulberry32: a small seeded PRNG, so exploration is reproducible in backtests. */
function seededUniform(seed: number, n: number): number {
  let t = (seed + Math.imul(n, 0x9e3779b9)) >>> 0;
  t = (t + 0x6d2b79f5) >>> 0;
  let r = Math.imul(t ^ (t >>> 15), t | 1);
  r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
  return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
}
