import { describe, expect, it } from 'vitest';
import { MODEL_FEATURE_COUNT } from '../../../src/engine/learning/features.js';
import { CounterfactualLabeler, candleOutcome, proposalId, type Proposal } from '../../../src/engine/learning/labels.js';
import { SampleRing } from '../../../src/engine/learning/samples.js';
import type { Candle } from '../../../src/engine/types.js';

const T0 = Date.UTC(2025, 0, 1);
const c = (i: number, open: number, high: number, low: number, close: number): Candle => ({
  timestamp: T0 + i * 300_000,
  open,
  high,
  low,
  close,
  volume: 1,
});
const proposal = (side: 'long' | 'short', decidedIndex = 0, extra: Partial<Proposal> = {}): Proposal => ({
  id: proposalId('BTCUSDT', T0 + decidedIndex * 300_000),
  symbol: 'BTCUSDT',
  side,
  rule: 'breakout',
  decidedAt: T0 + decidedIndex * 300_000,
  entryPrice: 100,
  slDistance: 1,
  tpDistance: 1.5,
  vector: new Float32Array(MODEL_FEATURE_COUNT),
  taken: false,
  roundTripFeeRate: 0.001,
  ...extra,
});

describe('counterfactual labels', () => {
  it('follows the paper venue path inside a candle: an up candle visits the low first', () => {
    expect(candleOutcome('long', c(0, 100, 101.6, 98.9, 101), 99, 101.5)).toBe('sl');
    expect(candleOutcome('long', c(0, 100, 101.6, 98.9, 99.5), 99, 101.5)).toBe('tp');
    expect(candleOutcome('short', c(0, 100, 101.1, 98.4, 99), 101, 98.5)).toBe('sl');
    expect(candleOutcome('short', c(0, 100, 101.1, 98.4, 100.5), 101, 98.5)).toBe('tp');
    expect(candleOutcome('long', c(0, 98, 99, 97, 98.5), 99, 101.5)).toBe('sl'); // gap through the stop
    expect(candleOutcome('long', c(0, 100, 100.5, 99.5, 100.2), 99, 101.5)).toBeNull();
  });

  it('labels 1 when TP comes before SL, with outcome in R, from the candles after the decision', () => {
    const labeler = new CounterfactualLabeler(24 * 3_600_000);
    labeler.propose(proposal('long'));
    expect(labeler.onCandle('BTCUSDT', c(-1, 99, 100, 98, 100))).toEqual([]); // the signal candle itself
    expect(labeler.onCandle('BTCUSDT', c(0, 100, 100.5, 99.5, 100))).toEqual([]);
    expect(labeler.onCandle('BTCUSDT', c(1, 100, 100.8, 99.5, 100.6))).toEqual([]);
    const [sample] = labeler.onCandle('BTCUSDT', c(2, 100.6, 101.6, 100.4, 101.4));
    expect(sample).toMatchObject({ label: 1, outcomeR: 1.5, source: 'counterfactual', proxyLabel: 0, resolvedAt: T0 + 3 * 300_000 });
    expect(labeler.openCount).toBe(0);
  });

  it('labels 0 at the time stop and marks the outcome to the close', () => {
    const labeler = new CounterfactualLabeler(3 * 300_000);
    labeler.propose(proposal('short'));
    expect(labeler.onCandle('BTCUSDT', c(1, 100, 100.2, 99.8, 99.9))).toEqual([]);
    expect(labeler.onCandle('BTCUSDT', c(2, 99.9, 100.2, 99.8, 99.9))).toHaveLength(1);
  });

  it('lets a realised outcome replace the counterfactual label, open or already stored', () => {
    const labeler = new CounterfactualLabeler(24 * 3_600_000);
    const ring = new SampleRing(10);
    labeler.propose(proposal('long', 0));
    const realised = labeler.recordRealised(proposalId('BTCUSDT', T0), false, -1.1, T0 + 600_000);
    expect(realised).toMatchObject({ label: 0, source: 'realised', taken: true });
    labeler.propose(proposal('long', 5));
    const [resolved] = labeler.onCandle('BTCUSDT', c(6, 100, 102, 99.9, 101.8));
    ring.add(resolved!);
    expect(ring.applyRealised(resolved!.id, false, -0.2, T0 + 10 * 300_000)).toBe(true);
    expect(ring.all()[0]).toMatchObject({ label: 0, source: 'realised', outcomeR: -0.2 });
  });
});

describe('sample ring', () => {
  it('keeps the newest samples up to its capacity and survives a JSON round trip', () => {
    const labeler = new CounterfactualLabeler(3_600_000);
    const ring = new SampleRing(3);
    for (let i = 0; i < 5; i++) {
      const vector = new Float32Array(MODEL_FEATURE_COUNT).fill(i / 10);
      labeler.propose(proposal(i % 2 === 0 ? 'long' : 'short', i * 2, { vector }));
      for (const s of labeler.onCandle('BTCUSDT', c(i * 2 + 1, 100, 102, 98.5, 100))) ring.add(s);
    }
    expect(ring.size).toBe(3);
    const ids = ring.all().map((s) => s.id);
    expect(ids).toEqual([2, 3, 4].map((i) => proposalId('BTCUSDT', T0 + i * 2 * 300_000)));
    const back = SampleRing.fromJSON(JSON.parse(JSON.stringify(ring.toJSON())), 3);
    expect(back.all().map((s) => [s.id, s.side, s.label, s.vector[0]])).toEqual(
      ring.all().map((s) => [s.id, s.side, s.label, s.vector[0]]),
    );
    expect(() => SampleRing.fromJSON({ version: 2 })).toThrow(/learning samples/);
  });
});
