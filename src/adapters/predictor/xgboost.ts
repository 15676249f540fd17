/**
 * ml-xgboost (XGBoost compiled to WASM) behind a small, safe surface.
 *
 * The library's traps, and what this file does about each:
 *  - the package's main export is a promise of the class; the WASM module behind it is the
 *    same cached CommonJS module (`ml-xgboost/dist/wasm/xgboost.js`), whose `isReady` we await;
 *  - its `train()` copies the data onto the 5 MB WASM stack ("memory access out of bounds"
 *    from about 70 000 × 20, leaving the instance unusable): here the data goes onto the WASM
 *    heap with `_malloc` and the C functions are called with pointers; rows are capped anyway;
 *  - it accepts misspelled parameters silently: `validateParams` allows only the keys and
 *    values we mean (binary:logistic, hist, shallow trees, ≤ 150 rounds);
 *  - −1 is hard-coded as "missing" and a NaN throws (uncaught in predict: the process dies):
 *    every row passes `assertModelRow` before it is written to the heap;
 *  - WASM memory is not garbage collected: every model handle and buffer is freed in `finally`;
 *    the heap grows while training and never shrinks, so training runs in a worker thread that
 *    ends afterwards (train-worker.ts); inference keeps one small handle on the main thread;
 *  - on load it prints through console.warn and installs a process-wide uncaughtException
 *    handler: output goes to our logger at debug, the handler is removed.
 */
import { createRequire } from 'node:module';
import { assertModelRow } from '../../engine/learning/features.js';

interface WasmModule {
  isReady: Promise<unknown>;
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  print: (text: string) => void;
  printErr: (text: string) => void;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _create_model(dataPointer: number, labelPointer: number, rows: number, cols: number): number;
  _train_full_model(handle: number, rounds: number): void;
  _predict_one(handle: number, rowPointer: number, cols: number, outPointer: number): number;
  _save_model(handle: number): number;
  _get_file_content(pointer: number, size: number): void;
  _load_model(pointer: number, size: number): number;
  _free_memory_model(handle: number): void;
  ccall(name: string, returnType: null, argTypes: string[], args: unknown[]): void;
}

/** Rows above this are refused (time box and memory; the heap path itself has no stack limit). */
export const MAX_TRAIN_ROWS = 120_000;

let modulePromise: Promise<WasmModule> | null = null;
let debugSink: (text: string) => void = () => undefined;

/** Where the library's own console output goes (a logger at debug); silent by default. */
export function setXgboostOutput(sink: (text: string) => void): void {
  debugSink = sink;
}

/** Loads the WASM module once per thread. */
export function loadXgboost(): Promise<WasmModule> {
  modulePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const listenersBefore = new Set(process.listeners('uncaughtException'));
    const warn = console.warn;
    console.warn = (...args: unknown[]) => debugSink(args.map(String).join(' '));
    try {
      // The package's export is the promise of the class; awaiting it means the module is ready.
      await (require('ml-xgboost') as Promise<unknown>);
      const module = require('ml-xgboost/dist/wasm/xgboost.js') as WasmModule;
      await module.isReady;
      module.print = (text) => debugSink(text);
      module.printErr = (text) => debugSink(text);
      return module;
    } finally {
      console.warn = warn;
      for (const listener of process.listeners('uncaughtException')) {
        if (!listenersBefore.has(listener)) process.removeListener('uncaughtException', listener);
      }
    }
  })();
  return modulePromise;
}

/** The XGBoost parameters we use; anything else is refused (the library would ignore a typo). */
export interface XgbParams {
  readonly objective: 'binary:logistic';
  readonly tree_method: 'hist';
  readonly max_depth: number;
  readonly eta: number;
  readonly min_child_weight: number;
  readonly subsample: number;
  readonly colsample_bytree: number;
  readonly lambda: number;
  readonly max_bin: number;
  readonly seed: number;
}

export const DEFAULT_XGB_PARAMS: XgbParams = Object.freeze({
  objective: 'binary:logistic',
  tree_method: 'hist',
  max_depth: 3,
  eta: 0.05,
  min_child_weight: 20,
  subsample: 0.8,
  colsample_bytree: 0.8,
  lambda: 5,
  max_bin: 64,
  seed: 7,
});

/** 80 trees of depth 3: about 75 KB stored (base64); 100 came within 6 KB of the 100 KB budget. */
export const DEFAULT_ROUNDS = 80;
export const MAX_ROUNDS = 150;

const numericRanges: Record<Exclude<keyof XgbParams, 'objective' | 'tree_method'>, readonly [number, number, boolean]> = {
  max_depth: [1, 6, true],
  eta: [0.001, 1, false],
  min_child_weight: [0, 1000, false],
  subsample: [0.1, 1, false],
  colsample_bytree: [0.1, 1, false],
  lambda: [0, 1000, false],
  max_bin: [8, 1024, true],
  seed: [0, 2 ** 31 - 1, true],
};

/** Throws a RangeError listing every unknown key and every value out of range. */
export function validateParams(params: Record<string, unknown>, rounds: number): XgbParams {
  const problems: string[] = [];
  const allowed = new Set<string>(['objective', 'tree_method', ...Object.keys(numericRanges)]);
  for (const key of Object.keys(params))
    if (!allowed.has(key)) problems.push(`unknown parameter "${key}" (allowed: ${[...allowed].join(', ')})`);
  if (params['objective'] !== 'binary:logistic') problems.push(`objective must be binary:logistic, got ${String(params['objective'])}`);
  if (params['tree_method'] !== 'hist')
    problems.push(`tree_method must be hist (exact is 5–10× slower), got ${String(params['tree_method'])}`);
  for (const [key, [lo, hi, integer]] of Object.entries(numericRanges)) {
    const value = params[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value > hi || (integer && !Number.isInteger(value))) {
      problems.push(`${key} must be ${integer ? 'a whole number' : 'a number'} from ${lo} to ${hi}, got ${String(value)}`);
    }
  }
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS)
    problems.push(`rounds must be a whole number from 1 to ${MAX_ROUNDS}, got ${rounds}`);
  if (problems.length > 0) throw new RangeError(`invalid XGBoost parameters: ${problems.join('; ')}`);
  return params as unknown as XgbParams;
}

/**
 * Trains a booster on `rows × cols` values (row-major) and returns XGBoost's binary model.
 * Rows are checked (finite, no −1) first; labels must be 0 or 1.
 */
export async function trainBooster(
  data: Float32Array,
  labels: Float32Array,
  cols: number,
  params: XgbParams,
  rounds: number,
): Promise<Uint8Array> {
  validateParams(params as unknown as Record<string, unknown>, rounds);
  const rows = labels.length;
  if (rows < 2 || data.length !== rows * cols)
    throw new RangeError(`training data is ${data.length} values for ${rows} labels × ${cols} columns`);
  if (rows > MAX_TRAIN_ROWS) throw new RangeError(`${rows} training rows exceed the cap of ${MAX_TRAIN_ROWS}`);
  for (let r = 0; r < rows; r++) assertModelRow(data.subarray(r * cols, (r + 1) * cols));
  for (const y of labels) if (y !== 0 && y !== 1) throw new RangeError(`labels must be 0 or 1, got ${y}`);
  const m = await loadXgboost();
  let dataPointer = 0;
  let labelPointer = 0;
  let handle = 0;
  let filePointer = 0;
  try {
    dataPointer = m._malloc(data.byteLength);
    labelPointer = m._malloc(labels.byteLength);
    if (dataPointer === 0 || labelPointer === 0) throw new Error('WASM heap allocation failed');
    m.HEAPF32.set(data, dataPointer >> 2);
    m.HEAPF32.set(labels, labelPointer >> 2);
    handle = m._create_model(dataPointer, labelPointer, rows, cols);
    if (handle === 0) throw new Error('XGBoost could not create the training matrix');
    for (const [key, value] of Object.entries(params)) {
      m.ccall('set_param', null, ['number', 'string', 'string'], [handle, key, String(value)]);
    }
    m.ccall('set_param', null, ['number', 'string', 'string'], [handle, 'silent', '1']);
    m._train_full_model(handle, rounds);
    const size = m._save_model(handle);
    if (!(size > 0)) throw new Error('XGBoost could not save the trained model');
    filePointer = m._malloc(size);
    m._get_file_content(filePointer, size);
    return m.HEAPU8.slice(filePointer, filePointer + size);
  } finally {
    if (filePointer !== 0) m._free(filePointer);
    if (handle !== 0) m._free_memory_model(handle);
    if (labelPointer !== 0) m._free(labelPointer);
    if (dataPointer !== 0) m._free(dataPointer);
  }
}

/** A loaded booster for inference: one model handle and two small heap buffers, freed by `free()`. */
export class Booster {
  private freed = false;
  private constructor(
    private readonly m: WasmModule,
    private handle: number,
    readonly cols: number,
    private readonly rowPointer: number,
    private readonly outPointer: number,
  ) {}

  static async load(model: Uint8Array, cols: number): Promise<Booster> {
    const m = await loadXgboost();
    const pointer = m._malloc(model.byteLength);
    let handle: number;
    try {
      m.HEAPU8.set(model, pointer);
      handle = m._load_model(pointer, model.byteLength);
    } finally {
      m._free(pointer);
    }
    if (handle === 0) throw new Error('XGBoost could not load the stored model');
    return new Booster(m, handle, cols, m._malloc(cols * 4), m._malloc(16));
  }

  /** Raw probability of one row; the row is checked (finite, no −1) first. */
  predict(row: Float32Array): number {
    if (this.freed) throw new Error('booster used after free()');
    if (row.length !== this.cols) throw new RangeError(`row has ${row.length} values, the model expects ${this.cols}`);
    assertModelRow(row);
    this.m.HEAPF32.set(row, this.rowPointer >> 2);
    this.m._predict_one(this.handle, this.rowPointer, this.cols, this.outPointer);
    const p = this.m.HEAPF32[this.outPointer >> 2] as number;
    if (!Number.isFinite(p)) throw new RangeError(`the model returned ${p}`);
    return p;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.m._free_memory_model(this.handle);
    this.m._free(this.rowPointer);
    this.m._free(this.outPointer);
    this.handle = 0;
  }
}
