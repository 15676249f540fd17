/**
 * The paper venue's saved state (ARCHITECTURE "Persistence"): plain JSON that resumes the
 * venue exactly, written with the engine snapshot.
 */
import { InvalidOrderError } from '../../errors.js';
import type { PaperPositionState, PaperState } from './types.js';
import type { PaperVenue } from './venue.js';

/** Plain JSON-safe state; restoring `JSON.parse(JSON.stringify(venueState(v)))` behaves identically. */
export function venueState(venue: PaperVenue): PaperState {
  const state: PaperState = {
    version: 1,
    walletBalanceUsdt: venue.walletBalanceUsdt,
    nextOrderSeq: venue.nextOrderSeq,
    leverage: Object.fromEntries(venue.leverage),
    positions: [...venue.positions.values()].map((p): PaperPositionState => ({ ...p })),
    orders: venue.book.all(),
    fundingPayments: venue.fundingPayments,
    forcedCloses: venue.forcedCloses,
    markets: Object.fromEntries(venue.markets),
    events: venue.events,
    totals: venue.totals,
  };
  // One JSON pass: deep copy (no aliasing with live state) and -0 → 0, exactly what a store round trip gives.
  return JSON.parse(JSON.stringify(state)) as PaperState;
}

/** Replaces the venue's whole state with `state` (from `venueState`, possibly after a JSON round trip). */
export function restoreVenue(venue: PaperVenue, state: PaperState): void {
  if (state.version !== 1) throw new InvalidOrderError(`Unknown paper state version ${String(state.version)}`, null);
  const copy = JSON.parse(JSON.stringify(state)) as PaperState;
  venue.walletBalanceUsdt = copy.walletBalanceUsdt;
  venue.nextOrderSeq = copy.nextOrderSeq;
  venue.leverage.clear();
  for (const [symbol, leverage] of Object.entries(copy.leverage)) venue.leverage.set(symbol, leverage);
  venue.positions.clear();
  for (const p of copy.positions) venue.positions.set(p.symbol, { ...p });
  venue.book.restore(copy.orders);
  venue.fundingPayments = [...copy.fundingPayments];
  venue.forcedCloses = [...(copy.forcedCloses ?? [])];
  venue.markets.clear();
  for (const [symbol, market] of Object.entries(copy.markets)) venue.markets.set(symbol, market);
  venue.events = [...copy.events];
  venue.totals = { ...copy.totals };
  venue.walk = null;
  venue.simNowMs = null;
}
