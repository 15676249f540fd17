/**
 * A thin typed layer over keyv: one backend per STORE_URL, JSON values in keyv's usual
 * `{"value":…}` envelope, and every failure turned into a StoreError that names the key.
 *
 * keyv swallows backend errors by default (a failed read looks like a missing key, which
 * would make a broken store look empty and get overwritten); here `throwOnErrors` is on and
 * values are parsed by us, so a corrupt value is an error, never `undefined`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Keyv from 'keyv';
import type { Deserialize, Serialize } from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import KeyvPostgres from '@keyv/postgres';
import KeyvRedis from '@keyv/redis';
import pg from 'pg';
import type { Pool } from 'pg';
import { StoreError, describeError } from '../errors.js';
import type { StoreBackend, StoreLocation } from './url.js';
import { redactUrl } from './url.js';

/** The keyv table for sqlite and PostgreSQL. */
export const KV_TABLE = 'trader_kv';
const CONNECT_TIMEOUT_MS = 10_000;
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export interface Kv {
  readonly backend: StoreBackend;
  /** The STORE_URL with its password redacted, for messages and logs. */
  readonly where: string;
  /** Backend set-up (sqlite pragmas); the first I/O, so a file that is not a database fails here. */
  prepare(): Promise<void>;
  /** The parsed value, or undefined when the key does not exist. */
  get(key: string): Promise<unknown>;
  /** Values in the order of `keys`; undefined for missing keys. */
  getMany(keys: readonly string[]): Promise<unknown[]>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** NaN and ±Infinity would silently become null in JSON: refuse them instead. */
function finiteOnly(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new StoreError(`cannot store the non-finite number ${String(value)} at field "${key}"`);
  }
  return value;
}

const serialize: Serialize = (data) => JSON.stringify(data, finiteOnly);
/** Pass the raw text through; `parseEnvelope` parses it so errors can name the key. */
const passRaw: Deserialize = <Value>(data: string) => ({ value: data as unknown as Value });

function parseEnvelope(where: string, key: string, raw: unknown): unknown {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') {
    throw new StoreError(`${where}: value of "${key}" is not text (${typeof raw}); the store looks corrupt, nothing was changed`);
  }
  let envelope: unknown;
  try {
    envelope = JSON.parse(raw);
  } catch (error) {
    throw new StoreError(
      `${where}: value of "${key}" is not valid JSON (${describeError(error)}); the store looks corrupt, nothing was changed`,
    );
  }
  if (typeof envelope !== 'object' || envelope === null || !('value' in envelope)) {
    throw new StoreError(`${where}: value of "${key}" is not a keyv record; the store looks corrupt, nothing was changed`);
  }
  return envelope.value;
}

/**
 * @keyv/postgres keeps one module-global pool (closing one store ends every other's) and adds no
 * 'error' listener to it, so an idle connection dropped by the server would crash the process.
 * This subclass gives each store its own pool whose errors are reported through keyv instead.
 */
class OwnPoolKeyvPostgres extends KeyvPostgres {
  // `declare`: no class-field initialiser, which would run after super() and erase the pool
  // that the base constructor created through connect().
  declare private ownPool: Pool | undefined;

  override async connect(): Promise<(sql: string, values?: unknown) => Promise<unknown[]>> {
    const pool = new pg.Pool({
      connectionString: this.opts.uri ?? '',
      max: 4,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    pool.on('error', (error) => this.emit('error', error));
    this.ownPool = pool;
    return async (sql, values) => (await pool.query<Record<string, unknown>>(sql, values as unknown[] | undefined)).rows;
  }

  override async disconnect(): Promise<void> {
    await this.ownPool?.end();
    this.ownPool = undefined;
  }
}

interface Backend {
  readonly keyv: Keyv;
  /** Backend set-up that must run before the first read (sqlite pragmas). */
  readonly prepare: () => Promise<void>;
}

const nothingToPrepare = async (): Promise<void> => undefined;

function createBackend(location: StoreLocation, namespace: string): Backend {
  const common = { namespace, serialize, deserialize: passRaw, throwOnErrors: true } as const;
  switch (location.backend) {
    case 'sqlite': {
      if (!location.inMemory) {
        try {
          mkdirSync(dirname(location.path), { recursive: true });
        } catch (error) {
          throw new StoreError(`cannot create the directory of ${location.path}: ${describeError(error)}`, { cause: error });
        }
      }
      const adapter = new KeyvSqlite({ uri: `sqlite://${location.path}`, table: KV_TABLE, busyTimeout: SQLITE_BUSY_TIMEOUT_MS });
      // WAL + synchronous=NORMAL: a committed write survives a process crash (what restarts need);
      // an OS crash or power cut can lose the last commits but does not corrupt the file. With the
      // default rollback journal every write costs an fsync (~20 ms), a trade about 100 ms.
      // On a file that is not a database these fail with SQLITE_NOTADB before anything is written.
      const prepare = async (): Promise<void> => {
        if (location.inMemory) return;
        await adapter.query('PRAGMA journal_mode = WAL');
        await adapter.query('PRAGMA synchronous = NORMAL');
      };
      return { keyv: new Keyv({ store: adapter, ...common }), prepare };
    }
    case 'postgres': {
      const adapter = new OwnPoolKeyvPostgres({ uri: location.url, table: KV_TABLE });
      return { keyv: new Keyv({ store: adapter, ...common }), prepare: nothingToPrepare };
    }
    case 'redis': {
      const adapter = new KeyvRedis(location.url, {
        namespace,
        throwOnErrors: true,
        throwOnConnectError: true,
        connectionTimeout: CONNECT_TIMEOUT_MS,
      });
      // @keyv/redis prefixes keys itself (`namespace::key`).
      return { keyv: new Keyv({ store: adapter, ...common, useKeyPrefix: false }), prepare: nothingToPrepare };
    }
  }
}

/**
 * Opens the keyv backend lazily; `prepare()` and the first read (the store's probe) surface
 * connection errors. Creates the directory of a sqlite file.
 */
export function openKv(location: StoreLocation, namespace: string): Kv {
  const where = `store ${redactUrl(location.url)}`;
  const { keyv, prepare } = createBackend(location, namespace);
  // Backends report some failures only as events (e.g. @keyv/postgres' table creation);
  // remember the last one so the error that follows can say what really went wrong.
  let lastEventError: unknown = null;
  keyv.on('error', (error: unknown) => {
    lastEventError = error;
  });
  const fail = (action: string, error: unknown): StoreError => {
    if (error instanceof StoreError) return error;
    const detail = describeError(error);
    const extra = lastEventError !== null && describeError(lastEventError) !== detail ? ` (${describeError(lastEventError)})` : '';
    return new StoreError(`${where}: ${action} failed: ${detail}${extra}`, { cause: error });
  };

  return {
    backend: location.backend,
    where,
    async prepare() {
      try {
        await prepare();
      } catch (error) {
        throw fail('opening', error);
      }
    },
    async get(key) {
      let raw: unknown;
      try {
        raw = await keyv.get(key);
      } catch (error) {
        throw fail(`reading "${key}"`, error);
      }
      return parseEnvelope(where, key, raw);
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      let raws: unknown[];
      try {
        raws = await keyv.get<unknown>([...keys]);
      } catch (error) {
        throw fail(`reading ${keys.length} keys`, error);
      }
      return keys.map((key, i) => parseEnvelope(where, key, raws[i]));
    },
    async set(key, value) {
      let ok: boolean;
      try {
        ok = await keyv.set(key, value);
      } catch (error) {
        throw fail(`writing "${key}"`, error);
      }
      if (!ok) throw fail(`writing "${key}"`, lastEventError ?? new Error('the backend refused the write'));
    },
    async delete(key) {
      try {
        await keyv.delete(key);
      } catch (error) {
        throw fail(`deleting "${key}"`, error);
      }
    },
    async close() {
      try {
        await keyv.disconnect();
      } catch (error) {
        throw fail('closing', error);
      }
    },
  };
}
