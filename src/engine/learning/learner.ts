/**
 * The learning side of the decision loop, the same in live, backtest and the walk-forward
 * harness: feed every closed candle (`onCandle`, before the signal of that candle is used),
 * build the model input of a proposed signal (`vectorFor`), propose it for a counterfactual
 * label (`propose`), and hand realised outcomes back (`recordRealised`).
 */
import type { Signal } from '../signals.js';
import type { Candle } from '../types.js';
import { CandleContext, modelVector } from './features.js';
import { CounterfactualLabeler, proposalId, type Sample } from './labels.js';
import { DEFAULT_SAMPLE_CAPACITY, SampleRing } from './samples.js';

export interface LearnerOptions {
  /** TIME_STOP_HOURS in ms: the counterfactual horizon. */
  readonly timeStopMs: number;
  /** Round-trip taker fee as a fraction of price (the proxy label's threshold). */
  readonly roundTripFeeRate: number;
  readonly capacity?: number;
}

export interface ProposeInput {
  readonly symbol: string;
  readonly signal: Pick<Signal, 'side' | 'rule' | 'closePrice' | 'features'>;
  /** Close time of the signal candle. */
  readonly decidedAt: number;
  readonly vector: Float32Array;
  readonly slDistance: number;
  readonly tpDistance: number;
  readonly taken: boolean;
}

export class SignalLearner {
  private readonly contexts = new Map<string, CandleContext>();
  readonly labeler: CounterfactualLabeler;
  ring: SampleRing;

  constructor(readonly options: LearnerOptions) {
    this.labeler = new CounterfactualLabeler(options.timeStopMs);
    this.ring = new SampleRing(options.capacity ?? DEFAULT_SAMPLE_CAPACITY);
  }

  /** A closed candle: updates the symbol's context and resolves the proposals it decides. */
  onCandle(symbol: string, candle: Candle): Sample[] {
    let context = this.contexts.get(symbol);
    if (context === undefined) {
      context = new CandleContext();
      this.contexts.set(symbol, context);
    }
    context.update(candle);
    const resolved = this.labeler.onCandle(symbol, candle);
    for (const sample of resolved) this.ring.add(sample);
    return resolved;
  }

  /** The model input of a signal at the last candle fed for its symbol; null while warming up or on a non-finite value. */
  vectorFor(symbol: string, signal: Pick<Signal, 'side' | 'rule' | 'features'>, fundingRate: number | null = null): Float32Array | null {
    const extras = this.contexts.get(symbol)?.last ?? null;
    if (extras === null) return null;
    return modelVector({ signal, extras, fundingRate });
  }

  propose(input: ProposeInput): string {
    const id = proposalId(input.symbol, input.decidedAt);
    this.labeler.propose({
      id,
      symbol: input.symbol,
      side: input.signal.side,
      rule: input.signal.rule,
      decidedAt: input.decidedAt,
      entryPrice: input.signal.closePrice,
      slDistance: input.slDistance,
      tpDistance: input.tpDistance,
      vector: input.vector,
      taken: input.taken,
      roundTripFeeRate: this.options.roundTripFeeRate,
    });
    return id;
  }

  markTaken(id: string): void {
    this.labeler.markTaken(id);
  }

  /** A taken trade closed: its realised outcome (net P&L > 0) replaces the counterfactual label. */
  recordRealised(id: string, won: boolean, outcomeR: number, atMs: number): void {
    const sample = this.labeler.recordRealised(id, won, outcomeR, atMs);
    if (sample !== null) this.ring.add(sample);
    else this.ring.applyRealised(id, won, outcomeR, atMs);
  }
}
