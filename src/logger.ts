/**
 * winston behind the engine's Logger port: a child logger per component.
 * - `json`: one JSON object per line (`{"level","message","timestamp","component",…fields}`),
 *   for log collectors (Railway); the default when stdout is not a terminal.
 * - `pretty`: one line per event for people — `21:04:05.123 INFO  trader   message key=value`,
 *   in colour on a terminal unless NO_COLOR is set; the default on a terminal.
 * Lines go through `logOutput`, which the console prompt takes over so that a log line
 * never tears the command being typed. Secrets never go into fields: callers pass
 * redacted values.
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import type { LogFields, Logger } from './engine/ports.js';
import type { LogFormat, LogLevel } from './config.js';

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

/**
 * Where the process's log lines go: stdout, unless a terminal prompt has taken the output
 * over (it then clears its line, writes the log line, and redraws itself).
 */
export class LogOutput {
  private writer: ((text: string) => void) | null = null;
  constructor(private readonly fallback: (text: string) => void) {}
  write(text: string): void {
    (this.writer ?? this.fallback)(text);
  }
  /** Routes every line to `writer` until the returned function is called. */
  takeOver(writer: (text: string) => void): () => void {
    this.writer = writer;
    return () => {
      if (this.writer === writer) this.writer = null;
    };
  }
}

export const logOutput = new LogOutput((text) => {
  process.stdout.write(text);
});

export interface LoggerOptions {
  readonly level: LogLevel;
  /** `auto` (default): pretty on a terminal, JSON otherwise. */
  readonly format?: LogFormat;
  /** Older switch, same as format 'pretty' (true) or 'json' (false). */
  readonly pretty?: boolean;
  /** Colour in pretty lines; default: stdout is a terminal and NO_COLOR is unset. */
  readonly color?: boolean;
  /** Write here instead of `logOutput` (tests, stderr tools). */
  readonly stream?: NodeJS.WritableStream;
}

/** NO_COLOR (https://no-color.org): any non-empty value turns colour off. */
export function colorWanted(env: NodeJS.ProcessEnv = process.env, isTty = process.stdout.isTTY === true): boolean {
  return isTty && (env.NO_COLOR ?? '') === '';
}

/** Whether `auto` means pretty here: stdout is a terminal. */
export function resolveLogFormat(format: LogFormat, isTty = process.stdout.isTTY === true): 'pretty' | 'json' {
  if (format !== 'auto') return format;
  return isTty ? 'pretty' : 'json';
}

const ANSI = {
  reset: '\u001b[0m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  magenta: '\u001b[35m',
};
const LEVEL_COLOUR: Record<string, string> = { error: ANSI.red, warn: ANSI.yellow, info: ANSI.green, debug: ANSI.magenta };

/** A field value as an operator reads it: bare when it has no spaces, JSON otherwise. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return value !== '' && !/[\s"=]/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (value instanceof Error) return JSON.stringify(value.message);
  try {
    return JSON.stringify(value);
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- last resort when JSON.stringify throws (a cycle, a BigInt)
    return String(value);
  }
}

/** One human line: time (UTC), level, component, message, then key=value fields. */
export function prettyLine(info: Record<string, unknown>, color: boolean): string {
  const { level, message, timestamp, component, ...fields } = info;
  const paint = (code: string, text: string): string => (color ? `${code}${text}${ANSI.reset}` : text);
  const time = typeof timestamp === 'string' ? timestamp.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const levelName = String(level);
  const levelText = paint(LEVEL_COLOUR[levelName] ?? '', levelName.toUpperCase().padEnd(5));
  const who = paint(ANSI.cyan, (typeof component === 'string' ? component : '-').padEnd(8));
  const extra = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${fieldText(v)}`)
    .join(' ');
  const text = levelName === 'error' || levelName === 'warn' ? paint(LEVEL_COLOUR[levelName] ?? '', String(message)) : String(message);
  return `${paint(ANSI.dim, time)} ${levelText} ${who} ${text}${extra === '' ? '' : ` ${paint(ANSI.dim, extra)}`}`;
}

export function createLogger(options: LoggerOptions): Logger {
  const format = options.pretty !== undefined ? (options.pretty ? 'pretty' : 'json') : resolveLogFormat(options.format ?? 'auto');
  const streamIsTty = options.stream === undefined ? process.stdout.isTTY === true : (options.stream as { isTTY?: boolean }).isTTY === true;
  const color = options.color ?? colorWanted(process.env, streamIsTty);
  const stream =
    options.stream ??
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        logOutput.write(chunk.toString());
        callback();
      },
    });
  const inner = winston.createLogger({
    level: options.level,
    format:
      format === 'pretty'
        ? winston.format.combine(
            winston.format.timestamp(),
            winston.format.printf((info) => prettyLine(info, color)),
          )
        : winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
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
