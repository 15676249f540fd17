/**
 * winston behind the engine's Logger port: a child logger per component, JSON lines
 * when stdout is not a TTY (Railway), readable lines in a terminal. Secrets never go
 * into fields: callers pass redacted values.
 */
import winston from 'winston';
import type { LogFields, Logger } from './engine/ports.js';
import type { LogLevel } from './config.js';

class WinstonLogger implements Logger {
  constructor(private readonly inner: winston.Logger) {}
  debug(message: string, fields?: LogFields): void {
    this.inner.debug(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.inner.info(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.inner.warn(message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.inner.error(message, fields);
  }
  child(component: string): Logger {
    return new WinstonLogger(this.inner.child({ component }));
  }
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Defaults to whether stdout is a TTY. */
  readonly pretty?: boolean;
  /** Extra stream (tests). */
  readonly stream?: NodeJS.WritableStream;
}

const pretty = winston.format.printf((info) => {
  const { level, message, timestamp, component, ...rest } = info as Record<string, unknown>;
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  const who = typeof component === 'string' ? ` [${component}]` : '';
  return `${String(timestamp)} ${String(level)}${who} ${String(message)}${extra}`;
});

export function createLogger(options: LoggerOptions): Logger {
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const transport =
    options.stream !== undefined
      ? new winston.transports.Stream({ stream: options.stream })
      : new winston.transports.Console({ stderrLevels: [] });
  const inner = winston.createLogger({
    level: options.level,
    format: usePretty
      ? winston.format.combine(winston.format.timestamp(), winston.format.colorize(), pretty)
      : winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
  return new WinstonLogger(inner);
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** A logger that records lines in memory (tests). */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; component: string; message: string; fields: LogFields | undefined }[];
  constructor(
    private readonly component = 'root',
    lines?: MemoryLogger['lines'],
  ) {
    this.lines = lines ?? [];
  }
  private push(level: string, message: string, fields?: LogFields): void {
    this.lines.push({ level, component: this.component, message, fields });
  }
  debug(message: string, fields?: LogFields): void {
    this.push('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.push('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.push('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.push('error', message, fields);
  }
  child(component: string): Logger {
    return new MemoryLogger(component, this.lines);
  }
}
