/**
 * Deterministic client order ids (STYLE.md §5): the same decision always produces the
 * same id, so a resend after a crash or timeout is recognised by the exchange (-4116)
 * and a query by id tells what happened. Binance allows `^[.A-Z:/a-z0-9_-]{1,36}$`.
 */
import type { PendingPurpose } from './ports.js';

export const CLIENT_ORDER_ID_PATTERN = /^[.A-Z:/a-z0-9_-]{1,36}$/;

const purposeLetter: Record<PendingPurpose, string> = { entry: 'e', sl: 's', tp: 't', close: 'c' };

/** `slt_<e|s|t|c>_<SYMBOL>_<decision time base 36>`, at most 36 characters. */
export function clientOrderId(purpose: PendingPurpose, symbol: string, decisionAtMs: number): string {
  const id = `slt_${purposeLetter[purpose]}_${symbol}_${Math.floor(decisionAtMs).toString(36)}`;
  if (!CLIENT_ORDER_ID_PATTERN.test(id)) throw new RangeError(`client order id ${id} does not match Binance's pattern`);
  return id;
}

/** The decision time of an entry's id (`clientOrderId('entry', …)`); null for any other id. */
export function decisionTimeOf(entryClientOrderId: string): number | null {
  const match = /^slt_e_[A-Z0-9]+_([0-9a-z]+)$/.exec(entryClientOrderId);
  if (match === null) return null;
  const value = Number.parseInt(match[1] as string, 36);
  return Number.isFinite(value) ? value : null;
}

/** Whether an id was made by this bot (orders of other origins are not ours to manage). */
export function isOurClientOrderId(id: string): boolean {
  return id.startsWith('slt_');
}
