/**
 * Labels the model learns from (BLUEPRINT "Further optimisations" 3, as revised after measurement).
 *
 * Main label: the counterfactual outcome of EVERY proposed signal, taken or refused: did the
 * take-profit come before the stop within TIME_STOP_HOURS, replayed from the candles that follow
 * the decision with the SL/TP distances the pipeline would set. It needs no trade, so refused
 * signals teach the model too, and it resolves within a day. When a taken trade closes, its
 * realised outcome (net P&L > 0) replaces the counterfactual label of the same signal.
 *
 * Auxiliary only: the blueprint's 5-minute proxy label (the close 5 minutes after the decision
 * beyond the entry, in the signal's direction, by more than the round-trip fee). It measures
 * volatility, not direction: a model trained on it predicted the proxy (AUC 0.62–0.67, ATR %
 * alone 0.65) but not whether TP comes before SL (0.50). It is kept on each sample for reports
 * and is never the training target.
 *
 * Inside a candle the price path is the paper venue's (BLUEPRINT "Paper fills"): open → low →
 * high → close when the candle closes up, open → high → low → close when it closes down; a
 * gap through a level at the open hits that level first.
 */
import type { Candle, Side } from '../types.js';

export const CANDLE_MS = 5 * 60_000;

export interface Proposal {
  /** `${symbol}:${decidedAt}`: one signal per symbol and candle close. */
  readonly id: string;
  readonly symbol: string;
  readonly side: Side;
  readonly rule: string;
  /** Close time of the signal candle: the decision time. */
  readonly decidedAt: number;
  /** The signal candle's close (the pipeline's reference price). */
  readonly entryPrice: number;
  /** Price distances the pipeline would set (step 5). */
  readonly slDistance: number;
  readonly tpDistance: number;
  /** The model input at the decision (MODEL_FEATURE_NAMES order). */
  readonly vector: Float32Array;
  /** Whether the engine opened a trade on it. */
  readonly taken: boolean;
  /** Round-trip fee as a fraction of price (for the proxy label). */
  readonly roundTripFeeRate: number;
}

export type LabelSource = 'counterfactual' | 'realised';

export interface Sample {
  readonly id: string;
  readonly symbol: string;
  readonly side: Side;
  readonly rule: string;
  readonly decidedAt: number;
  /** When the label became known: only samples resolved before a decision may train its model. */
  readonly resolvedAt: number;
  readonly vector: Float32Array;
  /** 1 = TP before SL within the time stop (or a realised win). */
  readonly label: 0 | 1;
  /** Outcome in R before costs: +tp/sl on TP, −1 on SL, marked to the close at the time stop. */
  readonly outcomeR: number;
  /** The 5-minute proxy (auxiliary, see the file comment); null when the next candle was not seen. */
  readonly proxyLabel: 0 | 1 | null;
  readonly source: LabelSource;
  readonly taken: boolean;
}

export const proposalId = (symbol: string, decidedAt: number): string => `${symbol}:${decidedAt}`;

/** The outcome of one candle for an open counterfactual position; null = neither level touched. */
export function candleOutcome(side: Side, candle: Candle, slPrice: number, tpPrice: number): 'tp' | 'sl' | null {
  const long = side === 'long';
  const slHit = (price: number): boolean => (long ? price <= slPrice : price >= slPrice);
  const tpHit = (price: number): boolean => (long ? price >= tpPrice : price <= tpPrice);
  if (slHit(candle.open)) return 'sl';
  if (tpHit(candle.open)) return 'tp';
  const up = candle.close >= candle.open;
  // Up candle: low first, then high. Down candle: high first, then low.
  const first = up ? candle.low : candle.high;
  const second = up ? candle.high : candle.low;
  if (long ? up : !up) {
    // The adverse extreme comes first.
    if (slHit(first)) return 'sl';
    if (tpHit(second)) return 'tp';
  } else {
    if (tpHit(first)) return 'tp';
    if (slHit(second)) return 'sl';
  }
  return null;
}

interface Open {
  readonly proposal: Proposal;
  readonly slPrice: number;
  readonly tpPrice: number;
  readonly expiresAt: number;
  proxyLabel: 0 | 1 | null;
}

/**
 * Resolves proposals from the candles that follow them. O(open proposals of the symbol) per
 * candle; with the signal cooldown that is a few dozen at most, and it is capped.
 */
export class CounterfactualLabeler {
  private readonly open = new Map<string, Open[]>();

  constructor(
    readonly timeStopMs: number,
    readonly maxOpenPerSymbol = 500,
  ) {
    if (!(timeStopMs > 0)) throw new RangeError(`timeStopMs must be positive, got ${timeStopMs}`);
  }

  propose(proposal: Proposal): void {
    if (!(proposal.slDistance > 0 && proposal.tpDistance > 0 && proposal.entryPrice > 0)) {
      throw new RangeError(`proposal ${proposal.id}: entry, SL and TP distances must be positive`);
    }
    const sign = proposal.side === 'long' ? 1 : -1;
    let list = this.open.get(proposal.symbol);
    if (list === undefined) {
      list = [];
      this.open.set(proposal.symbol, list);
    }
    if (list.length >= this.maxOpenPerSymbol) list.shift();
    list.push({
      proposal,
      slPrice: proposal.entryPrice - sign * proposal.slDistance,
      tpPrice: proposal.entryPrice + sign * proposal.tpDistance,
      expiresAt: proposal.decidedAt + this.timeStopMs,
      proxyLabel: null,
    });
  }

  /** Marks a proposal as taken (the trade opened after it was proposed). */
  markTaken(id: string): void {
    for (const list of this.open.values()) {
      const index = list.findIndex((o) => o.proposal.id === id);
      if (index >= 0) {
        const o = list[index] as Open;
        list[index] = { ...o, proposal: { ...o.proposal, taken: true } };
        return;
      }
    }
  }

  /** A closed candle of `symbol`: returns the proposals it resolved. */
  onCandle(symbol: string, candle: Candle): Sample[] {
    const list = this.open.get(symbol);
    if (list === undefined || list.length === 0) return [];
    const closeAt = candle.timestamp + CANDLE_MS;
    const resolved: Sample[] = [];
    let keep = 0;
    for (let i = 0; i < list.length; i++) {
      const o = list[i] as Open;
      const p = o.proposal;
      if (candle.timestamp < p.decidedAt) {
        list[keep++] = o;
        continue;
      }
      if (o.proxyLabel === null) {
        const move = (p.side === 'long' ? 1 : -1) * (candle.close / p.entryPrice - 1);
        o.proxyLabel = move > p.roundTripFeeRate ? 1 : 0;
      }
      const hit = candleOutcome(p.side, candle, o.slPrice, o.tpPrice);
      const expired = hit === null && closeAt >= o.expiresAt;
      if (hit === null && !expired) {
        list[keep++] = o;
        continue;
      }
      const markR = ((p.side === 'long' ? 1 : -1) * (candle.close - p.entryPrice)) / p.slDistance;
      const outcomeR = hit === 'tp' ? p.tpDistance / p.slDistance : hit === 'sl' ? -1 : markR;
      resolved.push(this.toSample(o, hit === 'tp' ? 1 : 0, outcomeR, closeAt));
    }
    list.length = keep;
    return resolved;
  }

  /**
   * A taken trade closed: its realised outcome replaces the counterfactual label. Returns the
   * sample when the proposal was still open (resolved now), else null (the caller updates the
   * stored sample, see `SampleRing.applyRealised`).
   */
  recordRealised(id: string, won: boolean, outcomeR: number, atMs: number): Sample | null {
    for (const list of this.open.values()) {
      const index = list.findIndex((o) => o.proposal.id === id);
      if (index >= 0) {
        const o = list[index] as Open;
        list.splice(index, 1);
        return { ...this.toSample(o, won ? 1 : 0, outcomeR, atMs), source: 'realised', taken: true };
      }
    }
    return null;
  }

  /** Proposals not resolved yet. */
  get openCount(): number {
    let n = 0;
    for (const list of this.open.values()) n += list.length;
    return n;
  }

  private toSample(o: Open, label: 0 | 1, outcomeR: number, resolvedAt: number): Sample {
    const p = o.proposal;
    return {
      id: p.id,
      symbol: p.symbol,
      side: p.side,
      rule: p.rule,
      decidedAt: p.decidedAt,
      resolvedAt,
      vector: p.vector,
      label,
      outcomeR,
      proxyLabel: o.proxyLabel,
      source: 'counterfactual',
      taken: p.taken,
    };
  }
}
