/**
 * The position controller's tick (ARCHITECTURE.md "Position controller"): settle the
 * journal, finalise positions gone on the exchange, decide and send exits.
 */
import type { ManagedPosition } from '../ports.js';
import type { ExchangePosition, ExitReason, OrderState } from '../types.js';
import { type TraderContext, modeOf, nextBackoffMs, sideSign } from './context.js';
import { finalise } from './finalise.js';
import { protectStop, protectionInPlace } from './guard.js';
import { close } from './protection.js';
import { describeError } from '../../errors.js';
import { retryEndedClose, settleEntries } from './settlement.js';

/**
 * Evaluates everything open against the exchange's positions (fetched once by the
 * controller): settles entries, places protection, finalises closed positions and
 * executes exits (closes on priority 0).
 */
export async function controlTick(ctx: TraderContext, exchangePositions: readonly ExchangePosition[]): Promise<void> {
  const { book } = ctx;
  const bySymbol = new Map<string, ExchangePosition>();
  for (const p of exchangePositions) if (p.size > 0) bySymbol.set(p.symbol, p);
  updateMarks(ctx, exchangePositions);
  const reversals = takeReversals(ctx);
  if (book.pending.size > 0) await settleEntries(ctx, bySymbol);
  // Symbol by symbol, side by side: an error on one is logged and backed off for that symbol
  // only, and never delays another symbol's exit.
  await Promise.all([...book.positions.values()].map((position) => isolated(ctx, position, bySymbol.get(position.symbol), reversals)));
}

/** One position's evaluation: finalise it when gone, retry an ended close, exit, or check its protection. */
async function evaluatePosition(
  ctx: TraderContext,
  position: ManagedPosition,
  onExchange: ExchangePosition | undefined,
  reversals: ReadonlySet<string>,
): Promise<void> {
  const { book } = ctx;
  if (onExchange === undefined) {
    await finalise(ctx, position);
    return;
  }
  if (position.exitClientOrderId !== null) {
    await retryEndedClose(ctx, position);
    return;
  }
  const reason = exitReasonFor(ctx, position, onExchange, reversals);
  if (reason !== null) {
    await close(ctx, position, reason);
    return;
  }
  // Protection checked every tick: exactly one reduce-only stop on the exchange.
  const check = await protectStop(ctx, position, onExchange.markPrice);
  if (check === 'closing') {
    const current = book.positions.get(position.symbol);
    const requested = book.exitRequests.get(position.symbol);
    if (current !== undefined && current.exitClientOrderId === null && requested !== undefined) await close(ctx, current, requested);
  }
}

/**
 * The tick, when it has nothing to do, done synchronously on a venue that can be read without a
 * request (a replay ticks at every candle close; most ticks only find every position protected).
 * Updates the marks as `controlTick` does and returns true when `controlTick` would change
 * nothing else: nothing pending, flagged, requested, backing off or being sent, no exit advisor
 * to ask, and every position on the exchange, with no exit due and its protection in place
 * (`protectionInPlace`). Returns false otherwise, having changed nothing but the marks, which
 * `controlTick` then sets to the same values.
 */
export function idleTick(
  ctx: TraderContext,
  exchangePositions: readonly ExchangePosition[],
  openOrdersOf: (symbol: string) => readonly OrderState[],
): boolean {
  const { book } = ctx;
  if (
    book.pending.size > 0 ||
    book.reversals.size > 0 ||
    book.exitRequests.size > 0 ||
    book.tickBackoff.size > 0 ||
    book.sending.size > 0 ||
    ctx.exitAdvisor !== null
  )
    return false;
  updateMarks(ctx, exchangePositions);
  for (const position of book.positions.values()) {
    if (position.exitClientOrderId !== null) return false;
    let onExchange: ExchangePosition | undefined;
    for (const p of exchangePositions) if (p.size > 0 && p.symbol === position.symbol) onExchange = p;
    if (onExchange === undefined || exitReasonFor(ctx, position, onExchange, NO_REVERSALS) !== null) return false;
    if (!protectionInPlace(ctx, position, openOrdersOf(position.symbol))) return false;
  }
  return true;
}

/** The marks of the exchange's positions become the last known marks (read by closes, holds and the own-state tick). */
function updateMarks(ctx: TraderContext, exchangePositions: readonly ExchangePosition[]): void {
  for (const p of exchangePositions) {
    const last = ctx.book.lastPrice.get(p.symbol);
    if (last !== undefined) last.mark = p.markPrice;
  }
}

const NO_REVERSALS: ReadonlySet<string> = new Set();

/**
 * The reversals flagged so far, taken at the start of a tick: one flagged by a candle that
 * closes while the tick runs (live: candles and ticks interleave) is kept for the next tick,
 * not cleared unseen. No copy when there are none (most ticks).
 */
function takeReversals(ctx: TraderContext): ReadonlySet<string> {
  const { reversals } = ctx.book;
  if (reversals.size === 0) return NO_REVERSALS;
  const taken = new Set(reversals);
  reversals.clear();
  return taken;
}

/** Per symbol: a failing symbol backs off (`nextBackoffMs`) and never delays the others. */
async function isolated(
  ctx: TraderContext,
  position: ManagedPosition,
  onExchange: ExchangePosition | undefined,
  reversals: ReadonlySet<string>,
): Promise<void> {
  const { symbol } = position;
  const backoff = ctx.book.tickBackoff;
  const now = ctx.deps.clock.now();
  const current = backoff.get(symbol);
  // Exits requested (manual, emergency) are never held back.
  if (current !== undefined && now < current.until && !ctx.book.exitRequests.has(symbol)) return;
  try {
    await evaluatePosition(ctx, position, onExchange, reversals);
    backoff.delete(symbol);
  } catch (error) {
    const delayMs = nextBackoffMs(current);
    backoff.set(symbol, { until: now + delayMs, delayMs });
    ctx.log.error(`${symbol}: tick failed; this symbol backs off ${delayMs} ms, the others go on`, { symbol, error: describeError(error) });
  }
}

/**
 * The tick used while the exchange cannot be read (rate-limit block, ARCHITECTURE
 * "Execution lanes"): the controller works from its own position state and the last known
 * prices. Exits (manual, emergency, time, liquidation risk, reversal) still go out, on
 * priority 0, which the block lets through; nothing is settled or finalised until the
 * positions can be read again.
 */
export async function controlTickFromOwnState(ctx: TraderContext): Promise<void> {
  const { book } = ctx;
  const reversals = takeReversals(ctx);
  for (const position of [...book.positions.values()]) {
    if (position.exitClientOrderId !== null) continue;
    const reason = exitReasonFor(ctx, position, assumedOnExchange(ctx, position), reversals);
    if (reason !== null) await close(ctx, position, reason);
  }
  // Reversals not acted on now wait for the next tick.
  for (const symbol of reversals) if (book.positions.get(symbol)?.exitClientOrderId === null) book.reversals.add(symbol);
}

/** The position as the exchange would show it at the last known price. */
function assumedOnExchange(ctx: TraderContext, position: ManagedPosition): ExchangePosition {
  const last = ctx.book.lastPrice.get(position.symbol);
  const mark = last?.mark ?? last?.price ?? position.entryPrice;
  return {
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
}

function exitReasonFor(
  ctx: TraderContext,
  position: ManagedPosition,
  onExchange: ExchangePosition,
  reversals: ReadonlySet<string>,
): ExitReason | null {
  const requested = ctx.book.exitRequests.get(position.symbol);
  if (requested !== undefined) return requested;
  const now = ctx.deps.clock.now();
  const mark = onExchange.markPrice;
  // The stop should have fired before the buffer zone; if it has not (gap, missing stop), get out.
  // The exchange's current liquidation price: funding paid out of the isolated margin moves it closer.
  const liquidationPrice = onExchange.liquidationPrice ?? position.liquidationPrice;
  const buffer = ctx.config.pipeline.liquidationBufferRate * position.entryPrice;
  if (liquidationPrice > 0 && sideSign(position.side) * (mark - liquidationPrice) <= buffer) return 'liquidation_risk';
  if (ctx.config.timeStopMs > 0 && now - position.openedAt >= ctx.config.timeStopMs) return 'time';
  if (reversals.has(position.symbol)) return 'signal';
  if (ctx.exitAdvisor === null) return null;
  const modeLabel = modeOf(ctx).label;
  const features = ctx.book.generators.get(position.symbol)?.lastFeatures ?? null;
  return ctx.exitAdvisor.adviseExit({ position, onExchange, now, modeLabel, features });
}
