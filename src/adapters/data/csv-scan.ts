/**
 * Streaming scanner for the numeric CSV files of `data/` (plain or gzipped).
 *
 * Why hand-rolled: the backtest budget (≥ 300 000 candles/s end to end) leaves
 * little room for the decoder, so it works on the raw bytes of each (gunzipped)
 * chunk, never on decoded text: only complete lines are parsed (a line cut by a
 * chunk end is carried over in a small copy, so memory stays bounded by the chunk
 * size, never the whole file), and a common line is parsed in one pass over its
 * bytes (`parsePlainLine`: fields cut at ',' and read as digits as they come) — no
 * regex, no per-line string, no per-field call. Any other line (header, blank, an
 * exponent, an error) takes a per-line path (`parseDecimalBytes`) that parses it
 * the same way `Number()` would or explains what is wrong. Text is decoded (UTF-8)
 * only for the header check and for error messages.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataError } from '../../errors.js';

/** Longest line accepted (counted in bytes); a longer one means the file is not one of ours (or is binary). */
const MAX_LINE_CHARS = 65_536;
const CHUNK_BYTES = 1 << 18;
/** zlib refuses an output chunk smaller than this. */
const MIN_GUNZIP_CHUNK_BYTES = 64;

const LF = 10;
const CR = 13;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;

/** Keeps a U+FEFF in the text it shows (the default would silently drop a leading one). */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Called once per data row with the parsed fields (a reused buffer: copy what you keep)
 * and the row's 1-based line number in the decompressed file (header = line 1).
 */
export type RowHandler = (fields: Float64Array, lineNumber: number) => void;

export interface ScanOptions {
  /** Read (and gunzip output) chunk size in bytes; tests force tiny chunks to cut lines anywhere. */
  readonly chunkBytes?: number;
}

/**
 * Reads `file` (`.gz` → gunzip), checks that line 1 is exactly `header` (a UTF-8 BOM
 * and CRLF line ends are accepted), parses every other line into `header`'s number
 * of finite numbers and hands it to `onRow`.
 * Throws `DataError(message, file, line)` on the first bad line; returns the row count.
 */
export async function scanNumericCsv(
  file: string,
  header: string,
  onRow: RowHandler,
  options: ScanOptions = {},
): Promise<number> {
  await assertReadableFile(file);
  const columns = header.split(',');
  const fieldCount = columns.length;
  const fields = new Float64Array(fieldCount);
  const lastField = fieldCount - 1;
  let lineNumber = 0;
  let rows = 0;
  /** Line number of a blank line seen so far; an error only if data follows it. */
  let blankLine = 0;
  /** The start of a line cut by the previous chunk's end (a copy), or null. */
  let carry: Uint8Array | null = null;

  /** The line being read (`lineNumber + 1`) is too long. */
  const tooLong = (): DataError =>
    new DataError(`line longer than ${MAX_LINE_CHARS} characters: not a CSV data file`, file, lineNumber + 1);

  /** One line, `bytes[start, end)` without its '\n'. */
  const handleLine = (bytes: Uint8Array, start: number, end: number): void => {
    if (end > start && bytes[end - 1] === CR) end--;
    if (end - start > MAX_LINE_CHARS) throw tooLong();
    lineNumber++;
    if (lineNumber === 1) {
      if (bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3; // BOM
      const got = utf8.decode(bytes.subarray(start, end));
      if (got !== header) {
        throw new DataError(`header must be exactly "${header}", found "${truncate(got)}"`, file, 1);
      }
      return;
    }
    if (start === end) {
      if (blankLine === 0) blankLine = lineNumber;
      return;
    }
    if (blankLine !== 0) throw new DataError('blank line inside the data', file, blankLine);
    let pos = start;
    for (let i = 0; i < fieldCount; i++) {
      let comma = pos;
      while (comma < end && bytes[comma] !== COMMA) comma++;
      // Field count first, as a line with too few / too many fields is explained by that.
      if (comma === end ? i < lastField : i === lastField) {
        const found = i < lastField ? String(i + 1) : 'more';
        throw new DataError(`expected ${fieldCount} fields (${header}), found ${found}`, file, lineNumber);
      }
      const value = parseDecimalBytes(bytes, pos, comma);
      if (value !== value) {
        throw new DataError(
          `${columns[i] ?? `field ${i + 1}`} is not a finite number: "${truncate(utf8.decode(bytes.subarray(pos, comma)))}"`,
          file,
          lineNumber,
        );
      }
      fields[i] = value;
      pos = comma + 1;
    }
    rows++;
    onRow(fields, lineNumber);
  };

  /**
   * Every line of `bytes[pos, end)`, which ends with '\n'. A common line (after the header,
   * no blank line before it) is parsed by `parsePlainLine` in one pass over its bytes; any
   * other line (header, blank, another number form, an error) goes to `handleLine`, which
   * parses or explains it.
   */
  const handleLines = (bytes: Uint8Array, pos: number, end: number): void => {
    while (pos < end) {
      const next = lineNumber > 0 && blankLine === 0 ? parsePlainLine(bytes, pos, fields) : -1;
      if (next > 0 && next - pos <= MAX_LINE_CHARS) {
        lineNumber++;
        rows++;
        onRow(fields, lineNumber);
        pos = next;
      } else {
        const nl = bytes.indexOf(LF, pos);
        handleLine(bytes, pos, nl);
        pos = nl + 1;
      }
    }
  };

  /** Every complete line of `chunk`; what follows its last '\n' becomes the new carry. */
  const handleChunk = (chunk: Uint8Array): void => {
    let pos = 0;
    if (carry !== null) {
      const nl = chunk.indexOf(LF);
      const head = nl === -1 ? chunk.length : nl;
      if (carry.length + head > MAX_LINE_CHARS + 1) throw tooLong(); // + 1: a CR may follow
      const joined = new Uint8Array(carry.length + head + (nl === -1 ? 0 : 1));
      joined.set(carry, 0);
      joined.set(chunk.subarray(0, joined.length - carry.length), carry.length);
      if (nl === -1) {
        carry = joined;
        return;
      }
      carry = null;
      handleLines(joined, 0, joined.length);
      pos = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(LF);
    if (lastNl >= pos) {
      handleLines(chunk, pos, lastNl + 1);
      pos = lastNl + 1;
    }
    if (pos < chunk.length) {
      if (chunk.length - pos > MAX_LINE_CHARS + 1) throw tooLong();
      carry = chunk.slice(pos); // a copy: the chunk itself is not kept
    }
  };

  const input = openDecoded(file, options.chunkBytes ?? CHUNK_BYTES);
  try {
    for await (const chunk of input) {
      // A plain Uint8Array view of the Buffer: one element kind for every array the loops index.
      const buffer = chunk as Uint8Array;
      handleChunk(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
    }
    const last = carry as Uint8Array | null; // (set by handleChunk: TypeScript cannot see that)
    if (last !== null) {
      const line = new Uint8Array(last.length + 1); // the last line had no '\n': give it one
      line.set(last, 0);
      line[last.length] = LF;
      handleLines(line, 0, line.length);
    }
  } catch (error) {
    input.destroy();
    if (error instanceof DataError) throw error;
    throw toDataError(error, file, lineNumber);
  }
  if (lineNumber === 0) throw new DataError(`empty file: expected header "${header}"`, file, 1);
  if (rows === 0) throw new DataError('no data rows after the header', file);
  return rows;
}

/** 10^0 … 10^22: every one is an exact double (Clinger's fast path). */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_EXACT_INT = 2 ** 53 - 1;
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses `bytes[start, end)` (ASCII / UTF-8) as a decimal number, NaN when it is not one
 * (or not finite). Fast path for `-?digits[.digits]` without building a string: with at most
 * 15–16 significant digits the integer m is exact and m / 10^k is one correctly rounded
 * division, i.e. the same double `Number()` returns (Clinger 1990). Anything else (exponent,
 * more digits) goes through `Number()` on the strictly checked UTF-8 decoded text.
 */
export function parseDecimalBytes(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  const negative = start < end && bytes[i] === MINUS;
  if (negative) i++;
  let mantissa = 0;
  let dot = -1;
  for (; i < end; i++) {
    const digit = bytes[i]! - ZERO;
    if (digit >= 0 && digit <= 9) {
      mantissa = mantissa * 10 + digit;
    } else if (digit === DOT - ZERO && dot < 0) {
      dot = i;
    } else {
      return parseSlow(utf8.decode(bytes.subarray(start, end)));
    }
  }
  const fractionDigits = dot < 0 ? 0 : end - dot - 1;
  const digits = end - start - (negative ? 1 : 0) - (dot < 0 ? 0 : 1);
  if (digits === 0) return Number.NaN;
  if (mantissa > MAX_EXACT_INT || fractionDigits > 22) return parseSlow(utf8.decode(bytes.subarray(start, end)));
  const value = fractionDigits > 0 ? mantissa / POW10[fractionDigits]! : mantissa;
  return negative ? -value : value;
}

/**
 * The common data line at `bytes[pos]`: exactly `fields.length` plain decimals
 * (`-?digits[.digits]`, the fast path of `parseDecimalBytes`, written inline) separated
 * by ',' and ended by '\n' or '\r\n'. Fills `fields` and returns where the next line
 * starts, or -1 when the line is anything else (`fields` then holds garbage).
 * The caller guarantees a '\n' at or after `pos`: every loop stops on it.
 */
function parsePlainLine(bytes: Uint8Array, pos: number, fields: Float64Array): number {
  const lastField = fields.length - 1;
  let p = pos;
  for (let i = 0; i <= lastField; i++) {
    // d = byte - '0'; `d >>> 0 < 10` is the one-compare digit test.
    let d = bytes[p]! - ZERO;
    const negative = d === MINUS - ZERO;
    if (negative) d = bytes[++p]! - ZERO;
    const digitsStart = p;
    let mantissa = 0;
    while (d >>> 0 < 10) {
      mantissa = mantissa * 10 + d;
      d = bytes[++p]! - ZERO;
    }
    let fractionDigits = 0;
    if (d === DOT - ZERO) {
      const fractionStart = ++p;
      d = bytes[p]! - ZERO;
      while (d >>> 0 < 10) {
        mantissa = mantissa * 10 + d;
        d = bytes[++p]! - ZERO;
      }
      fractionDigits = p - fractionStart;
      if (fractionDigits === 0 && fractionStart === digitsStart + 1) return -1; // "." or "-."
    } else if (p === digitsStart) {
      return -1; // no digit
    }
    if (mantissa > MAX_EXACT_INT || fractionDigits > 22) return -1;
    const value = fractionDigits > 0 ? mantissa / POW10[fractionDigits]! : mantissa;
    fields[i] = negative ? -value : value;
    if (i < lastField) {
      if (d !== COMMA - ZERO) return -1;
      p++;
    } else {
      if (d === CR - ZERO) d = bytes[++p]! - ZERO;
      if (d !== LF - ZERO) return -1;
    }
  }
  return p + 1;
}

/** The strict slow path: a plain decimal (optional sign, optional exponent) that `Number()` reads as finite. */
function parseSlow(raw: string): number {
  if (!PLAIN_NUMBER.test(raw)) return Number.NaN;
  const value = Number(raw);
  return Number.isFinite(value) ? value : Number.NaN;
}

/** `not found` / `not a file` / unreadable, as a DataError naming the file. */
async function assertReadableFile(file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new DataError('not a regular file', file);
  } catch (error) {
    if (error instanceof DataError) throw error;
    if (isErrnoCode(error, 'ENOENT')) throw new DataError('not found', file, null, { cause: error });
    throw new DataError(`cannot read: ${describe(error)}`, file, null, { cause: error });
  }
}

/** The file's bytes (gunzipped when it ends in `.gz`) in chunks of about `chunkBytes`. */
function openDecoded(file: string, chunkBytes: number): Readable {
  const source = createReadStream(file, { highWaterMark: chunkBytes });
  if (!file.endsWith('.gz')) return source;
  // pipeline forwards a read error to the gunzip stream and closes the file when iteration stops early;
  // gunzip runs on the libuv threadpool, so files read together (Promise.all) decode in parallel.
  return pipeline(source, createGunzip({ chunkSize: Math.max(MIN_GUNZIP_CHUNK_BYTES, chunkBytes) }), () => undefined);
}

function toDataError(error: unknown, file: string, linesRead: number): DataError {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new DataError(
      `corrupt or truncated gzip (${describe(error)}) after line ${linesRead}`,
      file,
      null,
      { cause: error },
    );
  }
  return new DataError(`cannot read after line ${linesRead}: ${describe(error)}`, file, null, { cause: error });
}

function isErrnoCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
