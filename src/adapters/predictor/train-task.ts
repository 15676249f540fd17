/**
 * The body of the training worker thread: one fit, the result posted back, then the thread
 * ends (the WASM heap that grew while training goes with it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ModelArtifact } from '../../engine/learning/model.js';
import { fitModel, type FitOptions, type SampleMatrix } from './fit.js';
import { setXgboostOutput } from './xgboost.js';

export interface TrainTaskInput {
  readonly samples: SampleMatrix;
  readonly current: ModelArtifact | null;
  readonly version: string;
  readonly nowMs: number;
  readonly options: FitOptions;
}

export type TrainTaskOutput =
  | { readonly ok: true; readonly artifact: ModelArtifact; readonly elapsedMs: number }
  | { readonly ok: false; readonly error: string; readonly notEnough: boolean };

export async function runTrainTask(input: TrainTaskInput): Promise<TrainTaskOutput> {
  const started = performance.now();
  setXgboostOutput(() => undefined);
  try {
    const artifact = await fitModel(input.samples, input.current, input.version, input.nowMs, input.options);
    return { ok: true, artifact, elapsedMs: performance.now() - started };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: message, notEnough: error instanceof Error && error.name === 'NotEnoughSamplesError' };
  }
}

if (parentPort !== null && workerData !== undefined && (workerData as { kind?: string }).kind === 'train') {
  const port = parentPort;
  void runTrainTask((workerData as { input: TrainTaskInput }).input).then((output) => port.postMessage(output));
}
