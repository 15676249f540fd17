/**
 * The bot as a child process on a store it cannot use: a file that is not a database, a
 * snapshot that is not JSON, a snapshot of a version this build does not read, a store of an
 * unknown schema. It must stop at start with exit code 1 and one clear line that names the
 * store and the problem (not just a stack trace), and it must leave the file exactly as it was:
 * a store that looks broken is never "repaired" by overwriting it with a fresh one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/adapters/clock.js';
import { KV_TABLE } from '../src/db/kv.js';
import { openStore } from '../src/db/store.js';
import { silentLogger } from '../src/logger.js';
import { sampleSnapshot } from './db/fixtures.js';
import { useBotRig } from './helpers/bot.js';
import type { Spawned } from './helpers/process.js';

/** The bot loads its data and opens the store in a couple of seconds; this bounds a hang. */
const EXIT_WITHIN_MS = 30_000;

const rig = useBotRig();
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slt-store-start-'));
  tempDirs.push(dir);
  return dir;
}

function sha256(file: string): string {
  // latin1 maps each byte to one character: a hash of the exact bytes.
  return createHash('sha256').update(readFileSync(file, 'latin1'), 'latin1').digest('hex');
}

function runSql(file: string, sql: string, params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (openError) => {
      if (openError !== null) return reject(openError);
      db.run(sql, params, function (this: sqlite3.RunResult, runError: Error | null) {
        const changes = this?.changes ?? 0;
        db.close(() => {
          if (runError !== null) reject(runError);
          else if (changes !== 1) reject(new Error(`expected to change one row, changed ${changes}: ${sql}`));
          else resolve();
        });
      });
    });
  });
}

/** Every row of the keyv table, for comparing what the bot could have written. */
function dumpRows(file: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError !== null) return reject(openError);
      db.all(`SELECT key, value FROM ${KV_TABLE} ORDER BY key`, (error, rows) =>
        db.close(() => (error !== null ? reject(error) : resolve(rows))),
      );
    });
  });
}

/** A real store written by this build (meta + one snapshot), closed so the WAL is checkpointed. */
async function seedStore(file: string): Promise<void> {
  const store = await openStore(`sqlite://${file}`, { logger: silentLogger, clock: new ManualClock(Date.UTC(2024, 4, 2)) });
  await store.saveSnapshot(sampleSnapshot());
  await store.close();
}

async function setRawValue(file: string, key: string, rawValue: string): Promise<void> {
  await runSql(file, `UPDATE ${KV_TABLE} SET value = ? WHERE key = ?`, [rawValue, `trader:${key}`]);
}

interface BrokenStore {
  readonly what: string;
  /** Builds the broken file; true when it is a database whose rows can be compared. */
  readonly make: (file: string) => Promise<boolean>;
  /** What the one line must say about the problem. */
  readonly problem: RegExp;
}

const brokenStores: BrokenStore[] = [
  {
    what: 'a file that is not a database',
    make: async (file) => {
      writeFileSync(file, 'not a database: these are the notes of an operator who pointed STORE_URL at the wrong file\n'.repeat(60));
      return false;
    },
    problem: /not a database/,
  },
  {
    what: 'a snapshot whose text is not JSON',
    make: async (file) => {
      await seedStore(file);
      await setRawValue(file, 'engine:snapshot', '{"value":{"version":1,"savedAt":17146512');
      return true;
    },
    problem: /"engine:snapshot" is not valid JSON/,
  },
  {
    what: 'a snapshot of a version this build does not read',
    make: async (file) => {
      await seedStore(file);
      await setRawValue(file, 'engine:snapshot', JSON.stringify({ value: { ...sampleSnapshot(), version: 99 } }));
      return true;
    },
    problem: /snapshot has version 99, this build reads version 1/,
  },
  {
    what: 'a store of an unknown schema',
    make: async (file) => {
      await seedStore(file);
      await setRawValue(file, 'store:meta', JSON.stringify({ value: { schema: 7, createdAt: 0 } }));
      return true;
    },
    problem: /store schema 7 is not supported/,
  },
];

/**
 * What an operator reads: the message of each JSON log line (its `error` field too), and
 * plain lines (stderr) as they are.
 */
function operatorMessages(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        const parsed = JSON.parse(line) as { message?: unknown; error?: unknown };
        return [parsed.message, parsed.error].filter((part) => typeof part === 'string').join(' · ');
      } catch {
        return line;
      }
    });
}

/** Resolves with the exit code, or with 'hung' after `ms` (the process is then killed). */
async function exitWithin(run: Spawned, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  try {
    return await Promise.race([run.exited, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('starting on a store it cannot use', () => {
  for (const broken of brokenStores) {
    it(`stops with exit code 1 and one line naming the problem, leaving ${broken.what} untouched`, async () => {
      const dir = tempDir();
      const file = join(dir, 'state.sqlite');
      const comparable = await broken.make(file);
      const hashBefore = sha256(file);
      const rowsBefore = comparable ? await dumpRows(file) : null;

      const run = rig.start(dir, { STORE_URL: `sqlite://${file}`, MARKET_DATA: 'replay' });
      const exitCode = await exitWithin(run, EXIT_WITHIN_MS);
      const output = `${run.stdout}\n${run.stderr}`;
      const messages = operatorMessages(output);

      expect(exitCode, `the bot did not stop on its own; output:\n${output}`).toBe(1);
      // One line says which store and what is wrong with it.
      const named = messages.filter((message) => message.includes(file) && broken.problem.test(message));
      expect(named, `no line names ${file} and ${broken.problem}; output:\n${output}`).not.toEqual([]);
      // No stack frames: the operator gets the message, not the internals.
      expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      // It never got as far as trading.
      expect(output).not.toMatch(/Reconciled with the exchange|entry sent/);

      // Not a byte changed, and nothing left waiting in a write-ahead log either.
      expect(sha256(file)).toBe(hashBefore);
      const wal = `${file}-wal`;
      if (existsSync(wal)) expect(statSync(wal).size, 'the bot left writes in the WAL').toBe(0);
      if (rowsBefore !== null) expect(await dumpRows(file)).toEqual(rowsBefore);
      // The trading lease is given back, so a replacement process need not wait out its TTL.
      expect(existsSync(`${file}.lock`), 'the lease lock file was left behind').toBe(false);
    }, 60_000);
  }
});
