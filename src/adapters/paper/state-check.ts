/**
 * Shape check of a stored paper venue (an engine snapshot's `venue`): a state that parses
 * but has the wrong shape is corruption, and resuming on it would trade on invented
 * balances. The store hands back `unknown`; only a checked value becomes a PaperState.
 */
import { StoreError } from '../../errors.js';
import type { PaperState } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** What is wrong with `value` as a PaperState (empty when nothing is). */
export function paperStateProblems(value: unknown): string[] {
  if (!isObject(value)) return ['not an object'];
  const problems: string[] = [];
  if (value.version !== 1) problems.push(`version ${JSON.stringify(value.version)} (expected 1)`);
  if (!isFiniteNumber(value.walletBalanceUsdt)) problems.push('walletBalanceUsdt is not a number');
  if (!Number.isInteger(value.nextOrderSeq)) problems.push('nextOrderSeq is not a whole number');
  if (!isObject(value.leverage) || !Object.values(value.leverage).every(isFiniteNumber))
    problems.push('leverage is not a symbol → number map');
  if (!Array.isArray(value.positions)) problems.push('positions is not a list');
  else
    value.positions.forEach((p: unknown, i) => {
      if (
        !isObject(p) ||
        typeof p.symbol !== 'string' ||
        (p.side !== 'long' && p.side !== 'short') ||
        ![p.size, p.entryPrice, p.isolatedMarginUsdt, p.openedAt].every(isFiniteNumber)
      )
        problems.push(`positions[${i}] is not a position`);
    });
  if (!Array.isArray(value.orders)) problems.push('orders is not a list');
  else
    value.orders.forEach((o: unknown, i) => {
      if (
        !isObject(o) ||
        !Number.isInteger(o.seq) ||
        !isObject(o.state) ||
        typeof o.state.clientOrderId !== 'string' ||
        typeof o.state.symbol !== 'string' ||
        typeof o.state.status !== 'string'
      )
        problems.push(`orders[${i}] is not an order record`);
    });
  if (!Array.isArray(value.fundingPayments)) problems.push('fundingPayments is not a list');
  if (value.forcedCloses !== undefined && !Array.isArray(value.forcedCloses)) problems.push('forcedCloses is not a list');
  if (!isObject(value.markets)) problems.push('markets is not an object');
  if (!Array.isArray(value.events)) problems.push('events is not a list');
  if (
    !isObject(value.totals) ||
    !['feesUsdt', 'fundingUsdt', 'realizedPnlUsdt', 'liquidations', 'liquidationLossUsdt', 'fills'].every((k) =>
      isFiniteNumber((value.totals as Record<string, unknown>)[k]),
    )
  )
    problems.push('totals is incomplete');
  return problems.slice(0, 5);
}

export function isPaperState(value: unknown): value is PaperState {
  return paperStateProblems(value).length === 0;
}

/** The stored value as a PaperState, or a StoreError naming what is wrong. */
export function checkPaperState(value: unknown): PaperState {
  if (isPaperState(value)) return value;
  throw new StoreError(
    `the stored paper venue is not a paper exchange state (${paperStateProblems(value).join('; ')}); refusing to resume on it. Use a fresh STORE_URL or restore a backup.`,
  );
}
