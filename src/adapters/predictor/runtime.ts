/**
 * The ModelRuntime the engine uses: training in a `worker_threads` worker that ends after
 * each run (threads, not processes: the 512 MB Railway limit), skipped when memory is above
 * 80 % of the container limit, time-boxed; loading for inference on the main thread.
 */
import { Worker } from 'node:worker_threads';
import type { ModelArtifact, ModelRuntime, ModelScorer, TrainOutcome, TrainRequest } from '../../engine/learning/model.js';
import type { Logger } from '../../engine/ports.js';
import { XgbScorer, toSampleMatrix, type FitOptions } from './fit.js';
import { memoryGuard, readMemory, type MemoryReading } from './memory.js';
import type { TrainTaskInput, TrainTaskOutput } from './train-task.js';
import { setXgboostOutput } from './xgboost.js';

export interface WorkerRuntimeOptions {
  readonly logger: Logger;
  /** MEMORY_LIMIT_MB: the limit when no cgroup limit is set. */
  readonly memoryLimitMb: number;
  /** A training run longer than this is stopped (the worker is terminated). */
  readonly timeoutMs?: number;
  readonly fit?: FitOptions;
  /** Memory reading (tests simulate a limit). */
  readonly readMemory?: () => MemoryReading;
}

const WORKER_URL = new URL('./train-worker.mjs', import.meta.url);

export class WorkerModelRuntime implements ModelRuntime {
  private readonly log: Logger;
  private running = false;

  constructor(private readonly options: WorkerRuntimeOptions) {
    this.log = options.logger.child('learning');
    setXgboostOutput((text) => this.log.debug('xgboost', { text }));
  }

  async train(request: TrainRequest): Promise<TrainOutcome> {
    if (this.running) return { kind: 'skipped', reason: 'a training run is already in progress' };
    const reading = (this.options.readMemory ?? (() => readMemory(this.options.memoryLimitMb)))();
    const tooMuch = memoryGuard(reading);
    if (tooMuch !== null) {
      this.log.warn('training skipped: memory', { reason: tooMuch });
      return { kind: 'skipped', reason: tooMuch };
    }
    this.running = true;
    const started = performance.now();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    const matrix = toSampleMatrix(request.samples);
    const input: TrainTaskInput = {
      samples: matrix,
      current: request.current,
      version: request.version,
      nowMs: request.nowMs,
      options: this.options.fit ?? {},
    };
    try {
      const output = await this.runWorker(input, this.options.timeoutMs ?? 120_000);
      if (output === null)
        return { kind: 'skipped', reason: `training took longer than ${this.options.timeoutMs ?? 120_000} ms and was stopped` };
      if (!output.ok) return { kind: 'skipped', reason: output.error };
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      return { kind: 'trained', artifact: output.artifact, elapsedMs: performance.now() - started, peakRssMb: peakRss / 1024 / 1024 };
    } finally {
      clearInterval(sampler);
      this.running = false;
    }
  }

  load(artifact: ModelArtifact): Promise<ModelScorer> {
    return XgbScorer.fromArtifact(artifact);
  }

  /** Resolves with the worker's answer, or null after the time box (the worker is terminated). */
  private runWorker(input: TrainTaskInput, timeoutMs: number): Promise<TrainTaskOutput | null> {
    return new Promise((resolve) => {
      // The columns are transferred, not copied.
      const transfer = [
        input.samples.vectors.buffer,
        input.samples.labels.buffer,
        input.samples.decidedAt.buffer,
        input.samples.resolvedAt.buffer,
      ];
      const worker = new Worker(WORKER_URL, {
        workerData: { kind: 'train', input },
        transferList: transfer as ArrayBuffer[],
        stdout: true,
        stderr: true,
      });
      // The library prints to the console: keep it out of the bot's output (debug log only).
      worker.stdout.on('data', (chunk: Buffer) => this.log.debug('training worker', { text: chunk.toString().trim() }));
      worker.stderr.on('data', (chunk: Buffer) => this.log.debug('training worker', { text: chunk.toString().trim() }));
      let settled = false;
      const finish = (value: TrainTaskOutput | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        resolve(value);
      };
      const timer = setTimeout(() => finish(null), timeoutMs);
      worker.once('message', (message: TrainTaskOutput) => finish(message));
      worker.once('error', (error) => finish({ ok: false, error: `training worker failed: ${error.message}`, notEnough: false }));
      worker.once('exit', (code) =>
        finish({ ok: false, error: `training worker exited (code ${code}) without a result`, notEnough: false }),
      );
    });
  }
}
