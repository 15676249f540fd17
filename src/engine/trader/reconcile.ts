/**
 * Start-up reconciliation and adoption (ISSUE: start-up reconciliation; nautilus_trader's
 * "on any uncertainty, reconcile with the venue").
 */
import { roundPrice } from '../exchange-rules.js';
import type { ManagedPosition } from '../ports.js';
import type { ExchangePosition, SymbolRules } from '../types.js';
import { type TraderContext, safety, sideSign } from './context.js';
import { finalise } from './finalise.js';
import { protectStopQuietly } from './guard.js';
import { ensureStop } from './protection.js';
import { settleEntries } from './settlement.js';

/**
 * Compares the restored state with the exchange: settles orders of unknown outcome by
 * client order id, resumes managed positions and re-places a missing stop, adopts or
 * reports unknown positions on configured symbols, and records positions that closed
 * while the bot was down. Returns a one-paragraph summary.
 */
export async function reconcile(ctx: TraderContext): Promise<string> {
  const { book, config } = ctx;
  const positions = await ctx.deps.exchange.fetchPositions(1);
  const open = new Map(positions.filter((p) => p.size > 0).map((p) => [p.symbol, p] as const));
  const pendingBefore = book.pending.size;
  await settleEntries(ctx, open);
  const resumed: string[] = [];
  const closedWhileDown: string[] = [];
  for (const position of [...book.positions.values()]) {
    if (!open.has(position.symbol)) {
      closedWhileDown.push(position.symbol);
      await finalise(ctx, position);
      continue;
    }
    resumed.push(position.symbol);
    await ensureStop(ctx, position);
  }
  const adopted: string[] = [];
  const adoptedUnprotected: string[] = [];
  const reported: string[] = [];
  for (const p of open.values()) {
    if (book.positions.has(p.symbol) || !config.symbols.includes(p.symbol)) {
      if (!book.positions.has(p.symbol)) reported.push(p.symbol);
      continue;
    }
    if (config.unknownPositions === 'adopt') {
      if (await adopt(ctx, p)) adopted.push(p.symbol);
      else adoptedUnprotected.push(p.symbol);
    } else reported.push(p.symbol);
  }
  await ctx.deps.persist('reconciled');
  const list = (symbols: readonly string[]): string => symbols.join(', ') || 'none';
  const summary =
    `Reconciled with the exchange: ${resumed.length} position(s) resumed with their SL/TP (${list(resumed)}); ` +
    `${closedWhileDown.length} closed while the bot was down and recorded (${list(closedWhileDown)}); ` +
    `${adopted.length} unknown position(s) adopted with a protective stop (${list(adopted)}); ` +
    (adoptedUnprotected.length > 0
      ? `${adoptedUnprotected.length} adopted WITHOUT a stop (refused; retried every tick) (${list(adoptedUnprotected)}); `
      : '') +
    `${reported.length} left alone and reported (${list(reported)}); ` +
    `${pendingBefore} pending order(s) settled by client order id, ${book.pending.size} still pending.`;
  ctx.log.info(summary);
  return summary;
}

/**
 * Takes over an unknown position on a configured symbol with a protective stop: a stop
 * already on the exchange (e.g. placed by a run that crashed before its reply) is attached,
 * never doubled. True when the position has its stop.
 */
async function adopt(ctx: TraderContext, p: ExchangePosition): Promise<boolean> {
  const now = ctx.deps.clock.now();
  const position = adoptedPosition(p, ctx.deps.rules.get(p.symbol), ctx.config.adoptedBaseSlRate, now);
  ctx.book.positions.set(p.symbol, position);
  const check = await protectStopQuietly(ctx, position, p.markPrice);
  const stop = ctx.book.positions.get(p.symbol)?.slClientOrderId ?? null;
  if (stop === null || check === null || check === 'unprotected' || check === 'closing') {
    safety(
      ctx,
      'adopted_unprotected',
      p.symbol,
      `adopted an unknown ${p.side} position on ${p.symbol} (size ${p.size} at ${p.entryPrice}) but its protective stop at ${position.slPrice} was refused`,
    );
    return false;
  }
  safety(
    ctx,
    'adopted',
    p.symbol,
    `adopted an unknown ${p.side} position on ${p.symbol} (size ${p.size} at ${p.entryPrice}) with a protective stop at ${ctx.book.positions.get(p.symbol)?.slPrice ?? position.slPrice}`,
  );
  return true;
}

function adoptedPosition(p: ExchangePosition, rules: SymbolRules | undefined, baseSlRate: number, now: number): ManagedPosition {
  const tick = rules?.filters.tickSize ?? 0.01;
  const slDistance = roundPrice(p.entryPrice * baseSlRate, tick, 'up');
  const sign = sideSign(p.side);
  // A position already further in loss than the base SL would get a stop that triggers at
  // once (Binance -2021): protect it the same distance beyond the mark instead.
  const fromEntry = roundPrice(p.entryPrice - sign * slDistance, tick, 'nearest');
  const fromMark = roundPrice(p.markPrice - sign * roundPrice(p.markPrice * baseSlRate, tick, 'up'), tick, 'nearest');
  const leverage = p.leverage ?? Math.max(1, Math.round((p.size * p.entryPrice) / Math.max(p.isolatedMarginUsdt, 1e-9)));
  return {
    symbol: p.symbol,
    side: p.side,
    size: p.size,
    entryPrice: p.entryPrice,
    slPrice: sign > 0 ? Math.min(fromEntry, fromMark) : Math.max(fromEntry, fromMark),
    tpPrice: roundPrice(p.entryPrice + sign * slDistance * 1.5, tick, 'nearest'),
    liquidationPrice: p.liquidationPrice ?? 0,
    leverage,
    leverageRaw: leverage,
    leverageClamps: [],
    openedAt: now,
    winProbability: 0,
    confidence: 0,
    baseSlPct: baseSlRate,
    rule: 'adopted',
    tickSize: tick,
    stepSize: rules?.filters.stepSize ?? 0,
    minNotionalUsdt: Math.max(10, rules?.filters.minNotional ?? 0),
    exploration: false,
    strategyMode: 'adopted',
    modelVersion: null,
    entryClientOrderId: `adopted_${p.symbol}_${now.toString(36)}`,
    // No stop yet: protectStop attaches the one on the exchange or places it.
    slClientOrderId: null,
    tpClientOrderId: null,
    feesUsdt: 0,
    fundingUsdt: 0,
    adopted: true,
    exitClientOrderId: null,
    exitReason: null,
  };
}
