/**
 * Funding on the paper venue: the 00:00/08:00/16:00 UTC events, at the symbol's rate from
 * the data (or the fallback rate), booked to the position's isolated margin as Binance does.
 */
import type { FundingEvent } from '../../engine/types.js';
import { positionSign, type PaperVenue } from './venue.js';

const FUNDING_INTERVAL_MS = 8 * 3_600_000;
/** A data funding event counts for a grid time when within this distance (Binance stamps can be a few ms late). */
const FUNDING_MATCH_TOLERANCE_MS = 60_000;

/**
 * (c) Funding at each 00:00/08:00/16:00 UTC in (fromMs, toMs] while a position is open:
 * payment = −side × size × mark × rate (a long pays when the rate is positive). In
 * isolated mode Binance books it to the position's margin, so it moves the liquidation
 * price too. Other funding schedules (4h/1h symbols) are not modelled.
 */
export function settleFunding(venue: PaperVenue, symbol: string, fromMs: number, toMs: number, markPrice: number): void {
  const position = venue.positions.get(symbol);
  if (position === undefined || toMs <= fromMs) return;
  let eventMs = Math.floor(fromMs / FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS + FUNDING_INTERVAL_MS;
  for (let guard = 0; eventMs <= toMs && guard < 10_000; guard++, eventMs += FUNDING_INTERVAL_MS) {
    const rate = fundingRateAt(venue, symbol, eventMs);
    const amountUsdt = -positionSign(position) * position.size * markPrice * rate;
    venue.walletBalanceUsdt += amountUsdt;
    position.isolatedMarginUsdt += amountUsdt;
    position.updatedAt = eventMs;
    venue.totals.fundingUsdt += amountUsdt;
    venue.fundingPayments.push({ symbol, timestamp: eventMs, amountUsdt });
    venue.logger.debug('paper funding', { symbol, rate, markPrice, amountUsdt, at: new Date(eventMs).toISOString() });
    venue.emit({ kind: 'funding', symbol, amountUsdt, rate, at: eventMs });
  }
}

function fundingRateAt(venue: PaperVenue, symbol: string, eventMs: number): number {
  const events = venue.funding.get(symbol);
  if (events !== undefined) {
    const found = nearestFunding(events, eventMs);
    if (found !== null && Math.abs(found.timestamp - eventMs) <= FUNDING_MATCH_TOLERANCE_MS) return found.rate;
  }
  if (!venue.fallbackLogged.has(symbol)) {
    venue.fallbackLogged.add(symbol);
    venue.logger.info('paper funding uses the fallback rate (no data for this event)', {
      symbol,
      rate: venue.fundingRateFallback,
      at: new Date(eventMs).toISOString(),
    });
  }
  return venue.fundingRateFallback;
}

/** The funding event closest to `timestampMs` (events sorted by time), by binary search. */
function nearestFunding(events: readonly FundingEvent[], timestampMs: number): FundingEvent | null {
  let lo = 0;
  let hi = events.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.timestamp < timestampMs) lo = mid + 1;
    else hi = mid;
  }
  const after = events[lo];
  const before = events[lo - 1];
  if (after === undefined) return null;
  if (before !== undefined && Math.abs(before.timestamp - timestampMs) < Math.abs(after.timestamp - timestampMs)) return before;
  return after;
}
