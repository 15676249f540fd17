/**
 * Entry planning and sending (ARCHITECTURE.md "Data flow of one decision"): closed
 * candle → signal → prediction → the "From signal to order" pipeline (pipeline.ts) →
 * leverage set → entry order through the journal.
 */
import { TraderError, describeError } from '../../errors.js';
import { clientOrderId } from '../client-order-id.js';
import { type EntryPlan, type PlanInput, type PlanResult, planEntry, refusedOnlyByModelThresholds } from '../pipeline.js';
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

async function tryEntries(ctx: TraderContext, candidates: readonly Candidate[]): Promise<void> {
  for (const candidate of candidates) {
    // The engine state gates entries (reducing: exits and protection only; halted: protection only).
    if (!entriesAllowed(ctx, candidate)) continue;
    try {
      await tryEntry(ctx, candidate);
    } catch (error) {
      // An exchange error on an entry never ends the candle loop; its reaction drives the engine state.
      if (!(error instanceof TraderError)) throw error;
      ctx.deps.entryGate?.observe(error, `entry ${candidate.symbol}`);
      warn(ctx, `entry on ${candidate.symbol} not sent: ${describeError(error)}`);
    }
  }
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
 * (ISSUE: PositionController). `fresh` says whether this call read the exchange.
 */
async function balance(ctx: TraderContext, forEntry: boolean): Promise<{ value: Balance; fresh: boolean }> {
  const now = ctx.deps.clock.now();
  const cache = ctx.book.balanceCache;
  if (!forEntry && cache !== null && now - cache.at < ctx.config.balanceRefreshMs) return { value: cache.value, fresh: false };
  const value = await ctx.deps.exchange.fetchBalance();
  ctx.book.balanceCache = { value, at: now };
  return { value, fresh: true };
}

async function tryEntry(ctx: TraderContext, candidate: Candidate): Promise<void> {
  const { symbol, signal, decidedAt } = candidate;
  const rules = ctx.deps.rules.get(symbol);
  if (rules === undefined) return;
  const predicted = ctx.predictor.predict({
    symbol,
    signal,
    decidedAt,
    modeLabel: modeOf(ctx).label,
    ruleStatistics: ctx.book.ruleStats,
  });
  // A synchronous predictor adds no await here (the backtest's order of events stays the same).
  const prediction = predicted instanceof Promise ? await predicted : predicted;
  // Screen on the cached balance: a refused signal (paused, limits, thresholds) costs no account read.
  const screened = await balance(ctx, false);
  const { mode, label } = modeOf(ctx);
  const result = await planWithExploration(ctx, (account) => planInput(ctx, candidate, prediction, rules, account, mode), screened);
  if (!result.ok) {
    ctx.deps.onEvent?.({
      kind: 'refused',
      symbol,
      side: signal.side,
      reasons: result.refusals.map((r) => r.reason),
      codes: result.refusals.map((r) => r.code),
    });
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
 * anyway at the exploration rate (seeded, reproducible); an entry is re-planned on a fresh
 * read of the account.
 */
async function planWithExploration(
  ctx: TraderContext,
  inputFor: (account: Balance) => PlanInput,
  screened: { value: Balance; fresh: boolean },
): Promise<PlanResult> {
  const { config, book } = ctx;
  const input = inputFor(screened.value);
  let result = planEntry(input);
  if (!result.ok && refusedOnlyByModelThresholds(result.refusals) && config.explorationRate > 0) {
    const seen = book.state.explorationSeen + 1;
    const take = seededUniform(config.explorationSeed, seen) < config.explorationRate;
    book.state = { ...book.state, explorationSeen: seen, explorationTaken: book.state.explorationTaken + (take ? 1 : 0) };
    if (take) result = planEntry({ ...input, exploration: true });
  }
  if (result.ok && !screened.fresh) {
    // An entry: size it on a fresh read of the account.
    const fresh = await balance(ctx, true);
    result = planEntry({ ...inputFor(fresh.value), exploration: result.plan.exploration });
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
