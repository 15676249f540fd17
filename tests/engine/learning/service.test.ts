import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/clock.js';
import { MODEL_FEATURE_NAMES } from '../../../src/engine/learning/features.js';
import { SignalLearner } from '../../../src/engine/learning/learner.js';
import type {
  ModelArtifact,
  ModelMetrics,
  ModelRuntime,
  ModelScorer,
  TrainOutcome,
  TrainRequest,
} from '../../../src/engine/learning/model.js';
import { MemoryModelVersions, MemorySampleArchive } from '../../../src/db/memory-learning.js';
import { LearningService } from '../../../src/engine/learning/service.js';
import { MemoryLogger } from '../../../src/logger.js';
import { syntheticSamples } from '../../adapters/predictor/samples-fixture.js';

const metrics = (logLoss: number, logLossCurrent: number | null = null): ModelMetrics => ({
  trainSamples: 600,
  calibrationSamples: 150,
  validationSamples: 200,
  baseRate: 0.4,
  logLoss,
  logLossConstant: 0.673,
  logLossCurrent,
  auc: 0.53,
  aucLow: 0.49,
  aucHigh: 0.57,
  ece: 0.02,
  confidenceRanks: false,
});

/** A ModelRuntime test double: each training returns the next queued log loss; scorers answer p = 0.5 − logLoss/10. */
class FakeRuntime implements ModelRuntime {
  readonly requests: TrainRequest[] = [];
  loaded: string[] = [];
  freed: string[] = [];
  /** The current model's log loss on the new window, per training (default: its own stored log loss). */
  constructor(
    private readonly queue: number[],
    private readonly currentOnNewWindow: (number | undefined)[] = [],
  ) {}
  async train(request: TrainRequest): Promise<TrainOutcome> {
    this.requests.push(request);
    const logLoss = this.queue.shift() ?? 0.7;
    const currentNow = this.currentOnNewWindow.shift();
    const artifact: ModelArtifact = {
      version: request.version,
      createdAt: request.nowMs,
      featureNames: [...MODEL_FEATURE_NAMES],
      params: {},
      rounds: 1,
      boosterBase64: 'AA==',
      calibration: { a: 1, b: 0 },
      confidenceReference: [],
      metrics: metrics(logLoss, request.current === null ? null : (currentNow ?? request.current.metrics.logLoss)),
      dataUntil: request.nowMs,
    };
    return { kind: 'trained', artifact, elapsedMs: 5, peakRssMb: 100 };
  }
  async load(artifact: ModelArtifact): Promise<ModelScorer> {
    this.loaded.push(artifact.version);
    return {
      artifact,
      score: () => ({ winProbability: 0.5 - artifact.metrics.logLoss / 10, confidence: 0.5 }),
      free: () => void this.freed.push(artifact.version),
    };
  }
}

function service(
  runtime: ModelRuntime,
  versions = new MemoryModelVersions(),
  archive = new MemorySampleArchive(),
  enableSelfLearning = true,
) {
  const clock = new ManualClock(Date.UTC(2025, 5, 1));
  const learner = new SignalLearner({ timeStopMs: 86_400_000, roundTripFeeRate: 0.001 });
  for (const s of syntheticSamples(100, 0.5, 1)) learner.ring.add(s);
  const svc = new LearningService({
    learner,
    runtime,
    versions,
    samples: archive,
    clock,
    logger: new MemoryLogger(),
    rules: new Map(),
    settings: { enableSelfLearning, retrainEveryLabels: 50, retrainIntervalMs: 86_400_000 },
  });
  return { svc, clock, learner, versions, archive };
}

describe('learning service', () => {
  it('promotes a model that beats the constant predictor, then refuses a worse one and keeps both versions', async () => {
    const runtime = new FakeRuntime([0.66, 0.665]);
    const { svc, clock, versions } = service(runtime);
    expect(await svc.train()).toMatchObject({ outcome: 'promoted' });
    const first = svc.current!.version;
    clock.set(clock.now() + 1000);
    const second = await svc.train();
    expect(second).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/current model/) });
    expect(svc.current!.version).toBe(first);
    expect(runtime.requests[1]!.current?.version).toBe(first);
    expect([...versions.entries.values()].map((e) => e.promoted)).toEqual([true, false]);
    expect(versions.entries.get(first)!.metrics).toMatchObject({ logLoss: 0.66, logLossConstant: 0.673, trainingMs: 5 });
  });

  it('retires the model in force when it no longer beats the constant on the newest window (not reloaded on restart)', async () => {
    // Second training: the candidate (0.68) is refused, and the model in force scores 0.675 on
    // the new window, worse than the constant's 0.673: it is retired, the rule statistics stand in.
    const runtime = new FakeRuntime([0.66, 0.68], [undefined, 0.675]);
    const { svc, clock, versions, archive } = service(runtime);
    expect(await svc.train()).toMatchObject({ outcome: 'promoted' });
    const first = svc.current!.version;
    clock.set(clock.now() + 1000);
    expect(await svc.train()).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/retired/) });
    expect(svc.hasModel).toBe(false);
    expect(runtime.freed).toContain(first);
    expect(versions.entries.get(first)!.promoted).toBe(false);
    const restarted = service(new FakeRuntime([]), versions, archive).svc;
    await restarted.start();
    expect(restarted.hasModel).toBe(false);
  });

  it('keeps the model in force when the candidate is refused but the model still beats the constant', async () => {
    const runtime = new FakeRuntime([0.66, 0.68], [undefined, 0.67]);
    const { svc, clock } = service(runtime);
    await svc.train();
    const first = svc.current!.version;
    clock.set(clock.now() + 1000);
    expect(await svc.train()).toMatchObject({ outcome: 'refused' });
    expect(svc.current?.version).toBe(first);
  });

  it('refuses a first model that does not beat the constant predictor: the rule statistics stand in', async () => {
    const { svc } = service(new FakeRuntime([0.68]));
    expect(await svc.train()).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/constant predictor/) });
    expect(svc.hasModel).toBe(false);
    expect(svc.predict('BTCUSDT', { side: 'long', rule: 'breakout', features: {} as never })).toBeNull();
  });

  it('reloads the last promoted model and the samples on restart, and rolls back in one call', async () => {
    const runtime = new FakeRuntime([0.66, 0.65]);
    const { svc, clock, versions, archive } = service(runtime);
    await svc.train();
    clock.set(clock.now() + 1000);
    await svc.train();
    const newest = svc.current!.version;
    const restarted = service(new FakeRuntime([]), versions, archive).svc;
    await restarted.start();
    expect(restarted.current?.version).toBe(newest);
    const back = await restarted.rollback();
    expect(back.from).toBe(newest);
    expect(back.to).not.toBe(newest);
    expect(back.to).toBe([...versions.entries.keys()][0]);
    expect(versions.entries.get(newest)!.promoted).toBe(false);
    const again = await restarted.rollback();
    expect(again.to).toBeNull();
    expect(restarted.hasModel).toBe(false);
  });

  it('with ENABLE_SELF_LEARNING=false trains nothing but still uses a stored model', async () => {
    const versions = new MemoryModelVersions();
    const trained = service(new FakeRuntime([0.66]), versions).svc;
    await trained.train();
    const runtime = new FakeRuntime([0.6]);
    const { svc } = service(runtime, versions, new MemorySampleArchive(), false);
    await svc.start();
    expect(await svc.train()).toMatchObject({ outcome: 'skipped', reason: 'ENABLE_SELF_LEARNING is false' });
    svc.maybeTrain();
    await svc.idle();
    expect(runtime.requests).toHaveLength(0);
    expect(svc.hasModel).toBe(true);
  });

  it('retrains by itself after N new labels, without the caller awaiting it', async () => {
    const runtime = new FakeRuntime([0.66]);
    const { svc } = service(runtime);
    svc.maybeTrain(); // 100 new samples ≥ 50
    await svc.idle();
    expect(runtime.requests).toHaveLength(1);
    svc.maybeTrain(); // no new labels since
    await svc.idle();
    expect(runtime.requests).toHaveLength(1);
  });
});
