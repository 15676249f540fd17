import { seededRandom } from '../../../src/engine/learning/evaluation.js';
import { MODEL_FEATURE_COUNT } from '../../../src/engine/learning/features.js';
import type { Sample } from '../../../src/engine/learning/labels.js';

export const DAY_MS = 86_400_000;

/**
 * Synthetic labelled samples, `perDay` per day: the label depends on feature 0 with strength
 * `signal` (0 = pure noise).
 */
export function syntheticSamples(count: number, signal: number, seed: number, perDay = 30, startMs = Date.UTC(2025, 0, 1)): Sample[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const vector = new Float32Array(MODEL_FEATURE_COUNT);
    for (let j = 0; j < MODEL_FEATURE_COUNT; j++) vector[j] = random() * 2 - 0.5;
    const p = 0.4 + signal * (vector[0]! - 0.5);
    const decidedAt = startMs + Math.floor(i * (DAY_MS / perDay));
    return {
      id: `BTCUSDT:${decidedAt}`,
      symbol: 'BTCUSDT',
      side: i % 2 === 0 ? 'long' : 'short',
      rule: 'breakout',
      decidedAt,
      resolvedAt: decidedAt + 3_600_000,
      vector,
      label: random() < p ? 1 : 0,
      outcomeR: 0,
      proxyLabel: null,
      source: 'counterfactual',
      taken: false,
    } satisfies Sample;
  });
}
