/**
 * Self-learning figures (issue 14):
 *   train_100k_ms          one training run on 100 000 labelled samples × 22 inputs in the worker
 *                          thread (start of the worker, fit, calibration, judging; the fit uses
 *                          the oldest ~64 % for the trees, see src/adapters/predictor/fit.ts)
 *   train_loop_lag_p99_ms  main-thread event-loop delay p99 while that run trains (target < 50)
 *   peak_rss_training_mb   process RSS peak during the run (the worker's WASM heap included)
 *   model_size_bytes       the stored form (JSON artifact with the base64 booster; must be < 100 KB)
 *   inference_ms           one prediction on the main thread (calibrated p + confidence)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WorkerModelRuntime } from '../src/adapters/predictor/runtime.js';
import { seededRandom } from '../src/engine/learning/evaluation.js';
import { MODEL_FEATURE_COUNT } from '../src/engine/learning/features.js';
import type { Sample } from '../src/engine/learning/labels.js';
import { silentLogger } from '../src/logger.js';
import type { Emit } from './figure.js';

function samples(count: number): Sample[] {
  const random = seededRandom(42);
  return Array.from({ length: count }, (_, i) => {
    const vector = new Float32Array(MODEL_FEATURE_COUNT);
    for (let j = 0; j < MODEL_FEATURE_COUNT; j++) vector[j] = random() * 2 - 0.5;
    const decidedAt = Date.UTC(2025, 0, 1) + i * 60_000;
    return {
      id: `BTCUSDT:${decidedAt}`,
      symbol: 'BTCUSDT',
      side: 'long',
      rule: 'breakout',
      decidedAt,
      resolvedAt: decidedAt + 60_000,
      vector,
      label: random() < 0.4 + 0.2 * (vector[0]! - 0.5) ? 1 : 0,
      outcomeR: 0,
      proxyLabel: null,
      source: 'counterfactual',
      taken: false,
    } satisfies Sample;
  });
}

export async function run(emit: Emit): Promise<void> {
  const data = samples(100_000);
  const runtime = new WorkerModelRuntime({ logger: silentLogger, memoryLimitMb: 4096, timeoutMs: 600_000 });
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const outcome = await runtime.train({ samples: data, current: null, nowMs: Date.now(), version: 'bench' });
  lag.disable();
  if (outcome.kind !== 'trained') throw new Error(`training did not run: ${outcome.reason}`);
  emit({
    name: 'train_100k_ms',
    value: Math.round(outcome.elapsedMs),
    unit: 'ms',
    note: `${outcome.artifact.metrics.trainSamples} rows to the trees, ${outcome.artifact.rounds} rounds of depth 3, hist; worker start included`,
  });
  emit({ name: 'train_loop_lag_p99_ms', value: Math.round((lag.percentile(99) / 1e6) * 10) / 10, unit: 'ms', baseline: 50 });
  emit({ name: 'peak_rss_training_mb', value: Math.round(outcome.peakRssMb), unit: 'MB' });
  emit({
    name: 'model_size_bytes',
    value: Buffer.byteLength(JSON.stringify(outcome.artifact)),
    unit: 'count',
    baseline: 100 * 1024,
    note: 'stored JSON artifact, base64 booster',
  });
  const scorer = await runtime.load(outcome.artifact);
  try {
    const n = 20_000;
    for (let i = 0; i < 2000; i++) scorer.score(data[i]!.vector);
    const started = performance.now();
    let sink = 0;
    for (let i = 0; i < n; i++) sink += scorer.score(data[i % data.length]!.vector).winProbability;
    const perPrediction = (performance.now() - started) / n;
    if (!(sink > 0)) throw new Error('predictions were not computed');
    emit({ name: 'inference_ms', value: Math.round(perPrediction * 10000) / 10000, unit: 'ms' });
  } finally {
    scorer.free();
  }
}
