/**
 * Bounded store of labelled samples (a ring buffer): the newest `capacity` samples, oldest
 * dropped first, persisted as one compact JSON document (vectors as base64 Float32).
 * 20 000 samples × 22 inputs ≈ 1.8 MB in memory: about two years of five symbols' signals.
 */
import { StoreError } from '../../errors.js';
import { MODEL_FEATURE_COUNT, MODEL_FEATURE_NAMES } from './features.js';
import type { Sample } from './labels.js';

export const DEFAULT_SAMPLE_CAPACITY = 20_000;

export interface SamplesJson {
  readonly version: 1;
  readonly featureNames: readonly string[];
  /** Columns, one entry per sample, oldest first. */
  readonly ids: readonly string[];
  readonly sides: string;
  readonly rules: readonly string[];
  readonly decidedAt: readonly number[];
  readonly resolvedAt: readonly number[];
  readonly labels: string;
  readonly outcomeR: readonly number[];
  /** '0', '1' or '-' (unknown) per sample. */
  readonly proxyLabels: string;
  /** 'c' counterfactual, 'r' realised. */
  readonly sources: string;
  readonly taken: string;
  /** Base64 of the Float32 vectors, row after row. */
  readonly vectors: string;
}

export class SampleRing {
  private readonly items: Sample[] = [];
  private start = 0;
  private readonly byId = new Map<string, number>();
  /** Samples added since the counter was last reset (the retrain trigger). */
  newSinceTraining = 0;

  constructor(readonly capacity = DEFAULT_SAMPLE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number ≥ 1, got ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** Adds a sample; one with the same id replaces the stored one (e.g. a realised outcome). */
  add(sample: Sample): void {
    if (sample.vector.length !== MODEL_FEATURE_COUNT) {
      throw new RangeError(`sample ${sample.id}: vector has ${sample.vector.length} values, expected ${MODEL_FEATURE_COUNT}`);
    }
    this.newSinceTraining++;
    const existing = this.byId.get(sample.id);
    if (existing !== undefined && this.items[existing]?.id === sample.id) {
      this.items[existing] = sample;
      return;
    }
    if (this.items.length < this.capacity) {
      this.byId.set(sample.id, this.items.length);
      this.items.push(sample);
      return;
    }
    const dropped = this.items[this.start] as Sample;
    this.byId.delete(dropped.id);
    this.items[this.start] = sample;
    this.byId.set(sample.id, this.start);
    this.start = (this.start + 1) % this.capacity;
  }

  /** A taken trade closed after its counterfactual label was stored: the realised outcome replaces it. */
  applyRealised(id: string, won: boolean, outcomeR: number, atMs: number): boolean {
    const index = this.byId.get(id);
    const sample = index === undefined ? undefined : this.items[index];
    if (index === undefined || sample === undefined || sample.id !== id) return false;
    this.items[index] = {
      ...sample,
      label: won ? 1 : 0,
      outcomeR,
      source: 'realised',
      taken: true,
      resolvedAt: Math.max(sample.resolvedAt, atMs),
    };
    return true;
  }

  /** Every sample, oldest first. */
  all(): Sample[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  toJSON(): SamplesJson {
    const all = this.all();
    const vectors = new Float32Array(all.length * MODEL_FEATURE_COUNT);
    all.forEach((s, i) => vectors.set(s.vector, i * MODEL_FEATURE_COUNT));
    return {
      version: 1,
      featureNames: [...MODEL_FEATURE_NAMES],
      ids: all.map((s) => s.id),
      sides: all.map((s) => (s.side === 'long' ? 'l' : 's')).join(''),
      rules: all.map((s) => s.rule),
      decidedAt: all.map((s) => s.decidedAt),
      resolvedAt: all.map((s) => s.resolvedAt),
      labels: all.map((s) => String(s.label)).join(''),
      outcomeR: all.map((s) => Math.round(s.outcomeR * 1e4) / 1e4),
      proxyLabels: all.map((s) => (s.proxyLabel === null ? '-' : String(s.proxyLabel))).join(''),
      sources: all.map((s) => (s.source === 'realised' ? 'r' : 'c')).join(''),
      taken: all.map((s) => (s.taken ? '1' : '0')).join(''),
      vectors: Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength).toString('base64'),
    };
  }

  /** Rebuilds the ring from `toJSON()`; a StoreError on any other shape (corrupt state is never silently reset). */
  static fromJSON(json: unknown, capacity = DEFAULT_SAMPLE_CAPACITY): SampleRing {
    const fail = (problem: string): never => {
      throw new StoreError(`learning samples: ${problem}`);
    };
    if (typeof json !== 'object' || json === null) return fail('not an object');
    const j = json as Partial<SamplesJson>;
    if (j.version !== 1) return fail(`unknown version ${JSON.stringify(j.version)}`);
    if (!Array.isArray(j.featureNames) || j.featureNames.join(',') !== MODEL_FEATURE_NAMES.join(',')) {
      return fail('stored with a different feature layout; the samples cannot be reused');
    }
    const ids = j.ids;
    if (!Array.isArray(ids) || typeof j.vectors !== 'string') return fail('ids or vectors missing');
    const n = ids.length;
    const columnsOk =
      typeof j.sides === 'string' &&
      j.sides.length === n &&
      Array.isArray(j.rules) &&
      j.rules.length === n &&
      Array.isArray(j.decidedAt) &&
      j.decidedAt.length === n &&
      Array.isArray(j.resolvedAt) &&
      j.resolvedAt.length === n &&
      typeof j.labels === 'string' &&
      j.labels.length === n &&
      Array.isArray(j.outcomeR) &&
      j.outcomeR.length === n &&
      typeof j.proxyLabels === 'string' &&
      j.proxyLabels.length === n &&
      typeof j.sources === 'string' &&
      j.sources.length === n &&
      typeof j.taken === 'string' &&
      j.taken.length === n;
    if (!columnsOk) return fail('columns of different lengths');
    const bytes = Buffer.from(j.vectors, 'base64');
    if (bytes.byteLength !== n * MODEL_FEATURE_COUNT * 4) return fail('vector bytes do not match the sample count');
    const vectors = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const ring = new SampleRing(capacity);
    for (let i = 0; i < n; i++) {
      const proxy = j.proxyLabels[i];
      ring.add({
        id: String(ids[i]),
        symbol: String(ids[i]).split(':')[0] ?? '',
        side: j.sides[i] === 'l' ? 'long' : 'short',
        rule: String((j.rules as string[])[i]),
        decidedAt: Number((j.decidedAt as number[])[i]),
        resolvedAt: Number((j.resolvedAt as number[])[i]),
        vector: vectors.slice(i * MODEL_FEATURE_COUNT, (i + 1) * MODEL_FEATURE_COUNT),
        label: j.labels[i] === '1' ? 1 : 0,
        outcomeR: Number((j.outcomeR as number[])[i]),
        proxyLabel: proxy === '1' ? 1 : proxy === '0' ? 0 : null,
        source: j.sources[i] === 'r' ? 'realised' : 'counterfactual',
        taken: j.taken[i] === '1',
      });
    }
    ring.newSinceTraining = 0;
    return ring;
  }
}
