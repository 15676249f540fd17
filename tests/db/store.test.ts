import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import sqlite3 from 'sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { KV_TABLE } from '../../src/db/kv.js';
import { openStore } from '../../src/db/store.js';
import { StoreError } from '../../src/errors.js';
import { testService } from '../helpers/services.js';
import { RecordingLogger, sampleSnapshot } from './fixtures.js';
import { describeStoreContract } from './store-contract.js';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slt-store-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const freshNamespace = () => `t${randomUUID().replaceAll('-', '').slice(0, 12)}`;

describeStoreContract('sqlite', () => ({ url: `sqlite://${join(tempDir(), 'state', 'state.sqlite')}`, namespace: 'trader' }));

const postgres = testService('TEST_POSTGRES_URL');
describeStoreContract('postgres', () => ({ url: postgres.require(), namespace: freshNamespace() }), { skip: postgres.skip });

const redis = testService('TEST_REDIS_URL');
describeStoreContract('redis', () => ({ url: redis.require(), namespace: freshNamespace() }), { skip: redis.skip });

function runSql(file: string, sql: string, params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (openError) => {
      if (openError) return reject(openError);
      db.run(sql, params, (runError) => db.close(() => (runError ? reject(runError) : resolve())));
    });
  });
}

describe('sqlite store file', () => {
  const options = () => ({ logger: new RecordingLogger(), clock: new ManualClock(0) });

  it('creates the directory of a relative sqlite:// path under the working directory', async () => {
    const dir = tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const store = await openStore('sqlite://state/nested/state.sqlite', options());
      await store.saveSnapshot(sampleSnapshot());
      await store.close();
    } finally {
      process.chdir(cwd);
    }
    expect(
      readFileSync(join(dir, 'state', 'nested', 'state.sqlite'))
        .subarray(0, 15)
        .toString(),
    ).toBe('SQLite format 3');
  });

  it('refuses a file that is not a database and leaves its bytes untouched', async () => {
    const file = join(tempDir(), 'state.sqlite');
    const garbage = 'this is not a sqlite database, it is a shopping list: eggs, milk\n'.repeat(80);
    writeFileSync(file, garbage);
    const error = await openStore(`sqlite://${file}`, options()).then(
      async (store) => store.loadSnapshot().finally(() => store.close()),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/not a database/);
    expect(readFileSync(file, 'utf8')).toBe(garbage);
  });

  it('refuses a snapshot row whose text is not JSON and leaves the row as it was', async () => {
    const file = join(tempDir(), 'state.sqlite');
    const url = `sqlite://${file}`;
    const first = await openStore(url, options());
    await first.saveSnapshot(sampleSnapshot());
    await first.close();
    await runSql(file, `UPDATE ${KV_TABLE} SET value = ? WHERE key = ?`, ['{"value": {"version": 1, "sav', 'trader:engine:snapshot']);

    const store = await openStore(url, options());
    await expect(store.loadSnapshot()).rejects.toThrow(/value of "engine:snapshot" is not valid JSON .*nothing was changed/);
    await store.close();
    const row = await new Promise<unknown>((resolve, reject) => {
      const db = new sqlite3.Database(file, () =>
        db.get(`SELECT value FROM ${KV_TABLE} WHERE key = ?`, ['trader:engine:snapshot'], (e, r) =>
          db.close(() => (e ? reject(e) : resolve(r))),
        ),
      );
    });
    expect(row).toEqual({ value: '{"value": {"version": 1, "sav' });
  });

  it('names an unsupported scheme without printing the password', async () => {
    const error = await openStore('mysql://trader:hunter2@db.internal/trader', options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toContain('mysql://trader:***@db.internal/trader');
    expect((error as Error).message).not.toContain('hunter2');
  });
});
