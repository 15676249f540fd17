/**
 * Streaming scanner for the numeric CSV files of `data/` (plain or gzipped).
 *
 * Why hand-rolled: the backtest budget (≥ 300 000 candles/s end to end) leaves
 * little room for the decoder, so lines are cut with `indexOf` on each decoded
 * chunk and fields parsed in place from char codes (`parseDecimal`) — no regex,
 * no per-line substring, never the whole file in one string.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataError } from '../../errors.js';

/** Longest line accepted; a longer one means the file is not one of ours (or is binary). */
const MAX_LINE_CHARS = 65_536;
const CHUNK_BYTES = 1 << 16;

/**
 * Called once per data row with the parsed fields (a reused buffer: copy what you keep)
 * and the row's 1-based line number in the decompressed file (header = line 1).
 */
export type RowHandler = (fields: Float64Array, lineNumber: number) => void;

/**
 * Reads `file` (`.gz` → gunzip), checks that line 1 is exactly `header`, parses every
 * other line into `header`'s number of finite numbers and hands it to `onRow`.
 * Throws `DataError(message, file, line)` on the first bad line; returns the row count.
 */
export async function scanNumericCsv(file: string, header: string, onRow: RowHandler): Promise<number> {
  await assertReadableFile(file);
  const columns = header.split(',');
  const fieldCount = columns.length;
  const fields = new Float64Array(fieldCount);
  const lastField = fieldCount - 1;
  let lineNumber = 0;
  let rows = 0;
  /** Line number of a blank line seen so far; an error only if data follows it. */
  let blankLine = 0;
  let carry = '';

  const handleLine = (text: string, start: number, end: number): void => {
    lineNumber++;
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
    if (lineNumber === 1) {
      if (text.charCodeAt(start) === 0xfeff) start++; // BOM
      const got = text.slice(start, end);
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
    for (let i = 0; i < lastField; i++) {
      const comma = text.indexOf(',', pos);
      if (comma === -1 || comma >= end) {
        throw new DataError(`expected ${fieldCount} fields (${header}), found ${i + 1}`, file, lineNumber);
      }
      const value = parseDecimal(text, pos, comma);
      if (value !== value) throw notANumber(text, pos, comma, i);
      fields[i] = value;
      pos = comma + 1;
    }
    const extra = text.indexOf(',', pos);
    if (extra !== -1 && extra < end) {
      throw new DataError(`expected ${fieldCount} fields (${header}), found more`, file, lineNumber);
    }
    const value = parseDecimal(text, pos, end);
    if (value !== value) throw notANumber(text, pos, end, lastField);
    fields[lastField] = value;
    rows++;
    onRow(fields, lineNumber);
  };

  const notANumber = (text: string, start: number, end: number, index: number): DataError =>
    new DataError(
      `${columns[index] ?? `field ${index + 1}`} is not a finite number: "${truncate(text.slice(start, end))}"`,
      file,
      lineNumber,
    );

  const input = openDecoded(file);
  try {
    for await (const chunk of input) {
      const text = carry.length === 0 ? (chunk as string) : carry + (chunk as string);
      let pos = 0;
      let nl = text.indexOf('\n', pos);
      while (nl !== -1) {
        handleLine(text, pos, nl);
        pos = nl + 1;
        nl = text.indexOf('\n', pos);
      }
      carry = pos === 0 ? text : text.slice(pos);
      if (carry.length > MAX_LINE_CHARS) {
        throw new DataError(`line longer than ${MAX_LINE_CHARS} characters: not a CSV data file`, file, lineNumber + 1);
      }
    }
    if (carry.length > 0) handleLine(carry, 0, carry.length);
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
 * Parses `text[start, end)` as a decimal number, NaN when it is not one (or not finite).
 * Fast path for `-?digits[.digits]` without building a substring: with at most 15–16
 * significant digits the integer m is exact and m / 10^k is one correctly rounded
 * division, i.e. the same double `Number()` returns (Clinger 1990). Anything else
 * (exponent, more digits) goes through `Number()` on a strictly checked substring.
 */
export function parseDecimal(text: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (text.charCodeAt(i) === 45) {
    negative = true;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (fractionDigits >= 0) fractionDigits++;
    } else if (c === 46 && fractionDigits < 0) {
      fractionDigits = 0;
    } else {
      return parseSlow(text, start, end);
    }
  }
  if (digits === 0) return Number.NaN;
  if (mantissa > MAX_EXACT_INT || fractionDigits > 22) return parseSlow(text, start, end);
  const value = fractionDigits > 0 ? mantissa / POW10[fractionDigits]! : mantissa;
  return negative ? -value : value;
}

function parseSlow(text: string, start: number, end: number): number {
  const raw = text.slice(start, end);
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

function openDecoded(file: string): Readable {
  const source = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  let out: Readable = source;
  if (file.endsWith('.gz')) {
    // pipeline forwards a read error to the gunzip stream and closes the file when iteration stops early.
    out = pipeline(source, createGunzip({ chunkSize: CHUNK_BYTES }), () => undefined);
  }
  out.setEncoding('utf8');
  return out;
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
