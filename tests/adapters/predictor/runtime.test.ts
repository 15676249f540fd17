import { describe, expect, it } from 'vitest';
import { WorkerModelRuntime } from '../../../src/adapters/predictor/runtime.js';
import { memoryGuard } from '../../../src/adapters/predictor/memory.js';
import { MemoryLogger } from '../../../src/logger.js';
import { syntheticSamples } from './samples-fixture.js';

const MB = 1024 * 1024;

describe('training in a worker thread', () => {
  it('trains in a worker that ends afterwards and returns a model the main thread can score with', async () => {
    const runtime = new WorkerModelRuntime({ logger: new MemoryLogger(), memoryLimitMb: 4096, fit: { rounds: 20 } });
    const outcome = await runtime.train({ samples: syntheticSamples(1500, 0.6, 1), current: null, nowMs: 1, version: 'w1' });
    expect(outcome.kind).toBe('trained');
    if (outcome.kind !== 'trained') return;
    expect(outcome.artifact.version).toBe('w1');
    expect(outcome.peakRssMb).toBeGreaterThan(0);
    const scorer = await runtime.load(outcome.artifact);
    const score = scorer.score(syntheticSamples(1, 0, 2)[0]!.vector);
    scorer.free();
    expect(score.winProbability).toBeGreaterThan(0);
  });

  it('skips training, and logs why, when memory is above 80 % of a simulated container limit', async () => {
    const logger = new MemoryLogger();
    const runtime = new WorkerModelRuntime({
      logger,
      memoryLimitMb: 512,
      readMemory: () => ({ usedBytes: 450 * MB, limitBytes: 512 * MB, limitSource: 'cgroup' }),
    });
    const outcome = await runtime.train({ samples: syntheticSamples(1500, 0.6, 1), current: null, nowMs: 1, version: 'w2' });
    expect(outcome).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/88 % of the 512 MB limit \(cgroup\)/) });
    expect(logger.lines.some((e) => e.message === 'training skipped: memory')).toBe(true);
    expect(memoryGuard({ usedBytes: 400 * MB, limitBytes: 512 * MB, limitSource: 'MEMORY_LIMIT_MB' })).toBeNull();
  });

  it('stops a training run that exceeds its time box', async () => {
    const runtime = new WorkerModelRuntime({ logger: new MemoryLogger(), memoryLimitMb: 4096, timeoutMs: 1 });
    const outcome = await runtime.train({ samples: syntheticSamples(1500, 0.6, 1), current: null, nowMs: 1, version: 'w3' });
    expect(outcome).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/longer than 1 ms/) });
  });

  it('reports too few samples as a skipped run with the reason', async () => {
    const runtime = new WorkerModelRuntime({ logger: new MemoryLogger(), memoryLimitMb: 4096 });
    const outcome = await runtime.train({ samples: syntheticSamples(50, 0.6, 1), current: null, nowMs: 1, version: 'w4' });
    expect(outcome).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/not enough labelled samples/) });
  });
});
