/** Temp-file helpers for the data loader tests (files live in os.tmpdir, removed after the suite). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CANDLE_HEADER_LINE = 'timestamp,open,high,low,close,volume';
export const T0 = Date.UTC(2025, 7, 1); // 2025-08-01 00:00 UTC
export const STEP = 300_000;

export interface TempDir {
  readonly dir: string;
  /** Writes `lines` joined by \n (plus a final \n) to `relative`; gzipped when it ends in .gz. */
  write(relative: string, lines: readonly string[]): string;
  writeRaw(relative: string, content: Buffer | string): string;
  remove(): void;
}

export function tempDir(prefix = 'slt-data-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const writeRaw = (relative: string, content: Buffer | string): string => {
    const path = join(dir, relative);
    mkdirSync(dirname(path), { recursive: true });
    // A plain Uint8Array view: @types/node 20's Buffer does not type-check against TS 5.9's Uint8Array.
    writeFileSync(path, typeof content === 'string' ? content : new Uint8Array(content.buffer, content.byteOffset, content.byteLength));
    return path;
  };
  return {
    dir,
    writeRaw,
    write(relative, lines) {
      const text = `${lines.join('\n')}\n`;
      return writeRaw(relative, relative.endsWith('.gz') ? gzipSync(text) : text);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` well-formed candle rows starting at `startMs`, one step apart. */
export function candleRows(count: number, startMs = T0, stepMs = STEP): string[] {
  return Array.from({ length: count }, (_, i) => {
    const open = 100 + i;
    return `${startMs + i * stepMs},${open},${open + 2},${open - 1},${open + 1},${10 + i}`;
  });
}
