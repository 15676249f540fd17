import { MemoryLogger } from '../../../src/logger.js';
import type { RequestSpec } from '../../../src/engine/execution/types.js';
import type { Priority } from '../../../src/engine/ports.js';

/** One recorded log line (src/logger.ts MemoryLogger). */
export type LogLine = MemoryLogger['lines'][number];

/** A logger that keeps what it is told, for assertions. */
export function memoryLogger(lines: LogLine[] = []): MemoryLogger {
  return new MemoryLogger('test', lines);
}

/** A request spec whose run records its label in `sentLog` and resolves at once. */
export function spec(
  sentLog: string[],
  label: string,
  priority: Priority,
  weight = 1,
  orders: 0 | 1 = 0,
  endpoint = 'GET /fapi/v1/ticker/price',
): RequestSpec<string> {
  return {
    priority,
    endpoint,
    weight,
    orders,
    run: () => {
      sentLog.push(label);
      return Promise.resolve(label);
    },
  };
}

/** Lets pending promise callbacks run (bounded number of microtask turns, no timers). */
export async function flush(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
