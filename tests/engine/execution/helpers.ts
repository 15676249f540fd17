import type { LogFields, Logger } from '../../../src/engine/ports.js';
import type { RequestSpec } from '../../../src/engine/execution/types.js';
import type { Priority } from '../../../src/engine/ports.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A logger that keeps what it is told, for assertions. */
export function memoryLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const make = (): Logger & { lines: LogLine[] } => ({
    lines,
    debug: (message, fields) => void lines.push({ level: 'debug', message, fields }),
    info: (message, fields) => void lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => void lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => void lines.push({ level: 'error', message, fields }),
    child: () => make(),
  });
  return make();
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
