/**
 * One trader per account: a lease that only one process holds at a time; the others wait as
 * hot standbys and take over when the holder stops renewing (crash, deploy, network loss).
 *
 * Backends follow STORE_URL, so the lease lives where the state lives:
 *  - PostgreSQL: `pg_try_advisory_lock` on a dedicated connection; held exactly as long as that
 *    connection lives (the server frees it when the process dies). No TTL on the server side.
 *  - Redis: `SET key value NX PX ttl`; renewed (PEXPIRE) and released (DEL) by a Lua script
 *    only while the value is still ours.
 *  - sqlite: a lock file next to the database (`state.sqlite.lock`) holding
 *    {pid, host, token, expiresAt}; created atomically (link), renewed by an atomic rewrite
 *    (rename); stale when expiresAt has passed or, on the same host, the pid is dead. Two
 *    standbys taking over the same stale file at the same instant could both believe they won;
 *    the loser finds a foreign token at its next renewal (≤ 5 s) and reports the lease lost.
 *
 * Defaults: TTL 15 s, renewal every 5 s (`LeaseKeeper`), standby poll every 5 s (`waitForLease`).
 */
import { randomUUID, createHash } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { createClient } from '@keyv/redis';
import pg from 'pg';
import type { Client as PgClient } from 'pg';
import type { Clock, Logger } from '../engine/ports.js';
import { StoreError, describeError } from '../errors.js';
import { DEFAULT_NAMESPACE } from './store.js';
import { parseStoreUrl, redactUrl } from './url.js';
import type { StoreBackend } from './url.js';

export const DEFAULT_LEASE_TTL_MS = 15_000;
export const DEFAULT_LEASE_RENEW_MS = 5_000;
export const DEFAULT_STANDBY_POLL_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** Who holds a lease, as far as the backend can tell. */
export interface LeaseHolder {
  readonly token: string | null;
  readonly pid: number | null;
  readonly host: string | null;
  /** null for PostgreSQL (held while the holder's connection lives). */
  readonly expiresAt: number | null;
  /** One line for logs and Discord: "pid 4242 on web-1 (token 3f2a…)". */
  readonly description: string;
}

export interface TraderLease {
  readonly backend: StoreBackend;
  readonly name: string;
  /** This process's token (random per lease object). */
  readonly token: string;
  readonly ttlMs: number;
  /** Takes the lease if free or stale (or renews it if already ours). */
  tryAcquire(): Promise<boolean>;
  /**
   * Extends the lease. false: it is not ours any more (lost). Throws on a transient failure
   * (server unreachable) where the lease may still be ours until its TTL runs out.
   */
  renew(): Promise<boolean>;
  /** Gives the lease up (if ours) and closes the lease's connection. Never throws. */
  release(): Promise<void>;
  /** The current holder, or null when the lease is free. */
  holder(): Promise<LeaseHolder | null>;
}

export interface LeaseOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** What is leased: one trader per account, so an account id or label. Default 'trader'. */
  readonly name?: string;
  /** Same namespace as the store (keys of the Redis lease; the PostgreSQL lock id). */
  readonly namespace?: string;
  readonly ttlMs?: number;
}

interface HolderInfo {
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly name: string;
  readonly acquiredAt: number;
}

function describeHolder(info: { token: string | null; pid: number | null; host: string | null }, extra = ''): string {
  const who = info.pid === null ? 'an unknown process' : `pid ${info.pid}${info.host === null ? '' : ` on ${info.host}`}`;
  return `${who}${info.token === null ? '' : ` (token ${info.token.slice(0, 8)}…)`}${extra}`;
}

function isHolderInfo(value: unknown): value is HolderInfo {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['token'] === 'string' && typeof v['pid'] === 'number' && typeof v['host'] === 'string';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Creates the lease for the backend of STORE_URL (nothing is connected until the first call). */
export function createLease(storeUrl: string, options: LeaseOptions): TraderLease {
  const location = parseStoreUrl(storeUrl);
  const name = options.name ?? 'trader';
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const logger = options.logger.child('lease');
  switch (location.backend) {
    case 'sqlite':
      if (location.inMemory) throw new StoreError('an in-memory sqlite store cannot coordinate processes; use a file (sqlite://state/state.sqlite)');
      return new FileLease(`${location.path}.lock`, name, ttlMs, options.clock, logger);
    case 'postgres':
      return new PostgresAdvisoryLease(location.url, name, namespace, ttlMs, logger);
    case 'redis':
      return new RedisLease(location.url, name, namespace, ttlMs, options.clock, logger);
  }
}

// ---- sqlite: lock file ------------------------------------------------------------------

interface LockFileContent extends HolderInfo {
  readonly expiresAt: number;
}

export class FileLease implements TraderLease {
  readonly backend = 'sqlite' as const;
  readonly token = randomUUID();
  private readonly host = hostname();

  constructor(
    readonly lockPath: string,
    readonly name: string,
    readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async tryAcquire(): Promise<boolean> {
    const current = await this.read();
    if (current === 'absent') return this.create();
    if (current !== 'corrupt' && current.token === this.token) return this.renew();
    const staleBecause = this.staleReason(current);
    if (staleBecause === null) return false;
    this.logger.warn('lease: taking over a stale lock file', { lockPath: this.lockPath, reason: staleBecause });
    await this.writeAtomically(this.content());
    const after = await this.read();
    return after !== 'absent' && after !== 'corrupt' && after.token === this.token;
  }

  async renew(): Promise<boolean> {
    const current = await this.read();
    if (current === 'absent' || current === 'corrupt' || current.token !== this.token) return false;
    await this.writeAtomically({ ...current, expiresAt: this.clock.now() + this.ttlMs });
    return true;
  }

  async release(): Promise<void> {
    try {
      const current = await this.read();
      if (current !== 'absent' && current !== 'corrupt' && current.token === this.token) await unlink(this.lockPath);
    } catch (error) {
      this.logger.warn('lease: could not remove the lock file', { lockPath: this.lockPath, error: describeError(error) });
    }
  }

  async holder(): Promise<LeaseHolder | null> {
    const current = await this.read();
    if (current === 'absent') return null;
    if (current === 'corrupt') return { token: null, pid: null, host: null, expiresAt: null, description: `an unreadable lock file ${this.lockPath}` };
    const inMs = current.expiresAt - this.clock.now();
    return {
      token: current.token,
      pid: current.pid,
      host: current.host,
      expiresAt: current.expiresAt,
      description: describeHolder(current, inMs >= 0 ? `, expires in ${(inMs / 1000).toFixed(1)} s` : ', expired'),
    };
  }

  private content(): LockFileContent {
    const now = this.clock.now();
    return { token: this.token, pid: process.pid, host: this.host, name: this.name, acquiredAt: now, expiresAt: now + this.ttlMs };
  }

  private staleReason(current: LockFileContent | 'corrupt'): string | null {
    if (current === 'corrupt') return 'the lock file is unreadable';
    if (current.expiresAt <= this.clock.now()) return `expired (held by ${describeHolder(current)})`;
    if (current.host === this.host && current.pid !== process.pid && !processAlive(current.pid)) {
      return `pid ${current.pid} is dead`;
    }
    return null;
  }

  /** Atomic create: write a private file, then hard-link it to the lock path (fails if it exists). */
  private async create(): Promise<boolean> {
    const temp = `${this.lockPath}.${this.token}.tmp`;
    try {
      await mkdir(dirname(this.lockPath), { recursive: true });
      await writeFile(temp, JSON.stringify(this.content()));
    } catch (error) {
      throw new StoreError(`cannot create the lock file ${this.lockPath}: ${describeError(error)}`, { cause: error });
    }
    try {
      await link(temp, this.lockPath);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false; // another process won the race
      throw new StoreError(`cannot create the lock file ${this.lockPath}: ${describeError(error)}`, { cause: error });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  private async writeAtomically(content: LockFileContent): Promise<void> {
    const temp = `${this.lockPath}.${this.token}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(content));
      await rename(temp, this.lockPath);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw new StoreError(`cannot write the lock file ${this.lockPath}: ${describeError(error)}`, { cause: error });
    }
  }

  private async read(): Promise<LockFileContent | 'absent' | 'corrupt'> {
    let text: string;
    try {
      text = await readFile(this.lockPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw new StoreError(`cannot read the lock file ${this.lockPath}: ${describeError(error)}`, { cause: error });
    }
    const value = parseJson(text);
    if (!isHolderInfo(value) || typeof (value as { expiresAt?: unknown }).expiresAt !== 'number') return 'corrupt';
    return value as LockFileContent;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---- PostgreSQL: advisory lock ------------------------------------------------------------

/** Two non-negative int4 keys for `pg_try_advisory_lock(int4, int4)`, from the lease's name. */
export function advisoryLockKeys(namespace: string, name: string): readonly [number, number] {
  const digest = createHash('sha256').update(`self-learning-trader:${namespace}:${name}`).digest();
  return [digest.readUInt32BE(0) & 0x7fffffff, digest.readUInt32BE(4) & 0x7fffffff];
}

export class PostgresAdvisoryLease implements TraderLease {
  readonly backend = 'postgres' as const;
  readonly token = randomUUID();
  private client: PgClient | null = null;
  private held = false;
  private readonly keys: readonly [number, number];
  private readonly where: string;

  constructor(
    private readonly url: string,
    readonly name: string,
    namespace: string,
    readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    this.keys = advisoryLockKeys(namespace, name);
    this.where = redactUrl(url);
  }

  async tryAcquire(): Promise<boolean> {
    if (this.held) return this.renew();
    const client = await this.connect();
    const result = await this.query(client, 'SELECT pg_try_advisory_lock($1, $2) AS ok', this.keys);
    this.held = result.rows[0]?.['ok'] === true;
    return this.held;
  }

  async renew(): Promise<boolean> {
    if (!this.held || this.client === null) return false;
    try {
      const result = await this.client.query<Record<string, unknown>>(
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
            AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 2`,
        [...this.keys],
      );
      if (result.rows[0]?.['n'] === 1) return true;
    } catch (error) {
      // The lock lives and dies with this connection: a failed query means it is gone or going.
      this.logger.warn('lease: PostgreSQL connection failed', { where: this.where, error: describeError(error) });
    }
    await this.dropConnection();
    return false;
  }

  async release(): Promise<void> {
    if (this.client !== null && this.held) {
      await this.client.query('SELECT pg_advisory_unlock($1, $2)', [...this.keys]).catch(() => undefined);
    }
    await this.dropConnection();
  }

  async holder(): Promise<LeaseHolder | null> {
    const client = await this.connect();
    const result = await this.query(
      client,
      `SELECT l.pid AS backend_pid, a.application_name AS app, host(a.client_addr) AS addr
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted
          AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 2`,
      this.keys,
    );
    const row = result.rows[0];
    if (row === undefined) return null;
    // application_name is "trader-lease <pid> <host> <token8>" (set in connect()).
    const app = typeof row['app'] === 'string' ? row['app'] : '';
    const parts = /^trader-lease (\d+) (\S+) (\S+)$/.exec(app);
    const pid = parts?.[1] === undefined ? null : Number(parts[1]);
    const host = parts?.[2] ?? (typeof row['addr'] === 'string' ? row['addr'] : null);
    const token = parts?.[3] ?? null;
    return {
      token,
      pid,
      host,
      expiresAt: null,
      description: describeHolder({ token, pid, host }, `, PostgreSQL backend ${String(row['backend_pid'])}`),
    };
  }

  private async connect(): Promise<PgClient> {
    if (this.client !== null) return this.client;
    // application_name is at most 63 bytes: keep pid, a short host and the token prefix.
    const applicationName = `trader-lease ${process.pid} ${hostname().slice(0, 24)} ${this.token.slice(0, 8)}`;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: applicationName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    client.on('error', (error) => {
      this.logger.warn('lease: PostgreSQL connection error', { where: this.where, error: describeError(error) });
      if (this.client === client) {
        this.client = null;
        this.held = false;
      }
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new StoreError(`lease: cannot connect to ${this.where}: ${describeError(error)}`, { cause: error });
    }
    this.client = client;
    return client;
  }

  private async query(client: PgClient, sql: string, values: readonly unknown[]) {
    try {
      return await client.query<Record<string, unknown>>(sql, [...values]);
    } catch (error) {
      await this.dropConnection();
      throw new StoreError(`lease: query on ${this.where} failed: ${describeError(error)}`, { cause: error });
    }
  }

  private async dropConnection(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.held = false;
    if (client !== null) await client.end().catch(() => undefined);
  }
}

// ---- Redis: SET NX PX ---------------------------------------------------------------------

/** Extends the key's TTL only while it still holds our value. */
const RENEW_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Deletes the key only while it still holds our value. */
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

function newRedisClient(url: string) {
  return createClient({
    url,
    // Fail commands while disconnected instead of queueing them: a renewal must not wait.
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS },
  });
}
type RedisClient = ReturnType<typeof newRedisClient>;

export class RedisLease implements TraderLease {
  readonly backend = 'redis' as const;
  readonly token = randomUUID();
  private client: RedisClient | null = null;
  private readonly key: string;
  private readonly where: string;
  private value: string | null = null;

  constructor(
    private readonly url: string,
    readonly name: string,
    namespace: string,
    readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.key = `${namespace}::lease:${name}`;
    this.where = redactUrl(url);
  }

  async tryAcquire(): Promise<boolean> {
    const client = await this.connect();
    const info: HolderInfo = { token: this.token, pid: process.pid, host: hostname(), name: this.name, acquiredAt: this.clock.now() };
    const value = JSON.stringify(info);
    const reply = await this.command(client, ['SET', this.key, value, 'NX', 'PX', String(this.ttlMs)]);
    if (reply === 'OK') {
      this.value = value;
      return true;
    }
    // Ours already (e.g. tryAcquire called again while holding)?
    return this.value !== null && this.renew();
  }

  async renew(): Promise<boolean> {
    if (this.value === null) return false;
    const client = await this.connect();
    const reply = await this.command(client, ['EVAL', RENEW_SCRIPT, '1', this.key, this.value, String(this.ttlMs)]);
    if (reply === 1) return true;
    this.value = null;
    return false;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client === null) return;
    try {
      if (this.value !== null) await client.sendCommand(['EVAL', RELEASE_SCRIPT, '1', this.key, this.value]);
    } catch (error) {
      this.logger.warn('lease: could not release the Redis lease (it will expire)', { where: this.where, error: describeError(error) });
    } finally {
      this.value = null;
      await client.close().catch(() => client.destroy());
    }
  }

  async holder(): Promise<LeaseHolder | null> {
    const client = await this.connect();
    const raw = await this.command(client, ['GET', this.key]);
    if (typeof raw !== 'string') return null;
    const ttl = await this.command(client, ['PTTL', this.key]);
    const expiresAt = typeof ttl === 'number' && ttl >= 0 ? this.clock.now() + ttl : null;
    const info = parseJson(raw);
    if (!isHolderInfo(info)) return { token: null, pid: null, host: null, expiresAt, description: `an unknown holder of ${this.key}` };
    const extra = typeof ttl === 'number' && ttl >= 0 ? `, expires in ${(ttl / 1000).toFixed(1)} s` : '';
    return { token: info.token, pid: info.pid, host: info.host, expiresAt, description: describeHolder(info, extra) };
  }

  private async connect(): Promise<RedisClient> {
    if (this.client !== null && this.client.isOpen) return this.client;
    const client = newRedisClient(this.url);
    client.on('error', (error: unknown) => {
      this.logger.debug('lease: Redis connection error', { where: this.where, error: describeError(error) });
    });
    try {
      await client.connect();
    } catch (error) {
      client.destroy();
      throw new StoreError(`lease: cannot connect to ${this.where}: ${describeError(error)}`, { cause: error });
    }
    this.client = client;
    return client;
  }

  private async command(client: RedisClient, args: string[]): Promise<unknown> {
    try {
      return await client.sendCommand(args);
    } catch (error) {
      throw new StoreError(`lease: ${args[0] ?? 'command'} on ${this.where} failed: ${describeError(error)}`, { cause: error });
    }
  }
}

// ---- keeping and waiting ----------------------------------------------------------------

export interface LeaseKeeperOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly renewEveryMs?: number;
  /** Called once when the lease is lost: stop trading now, another process may take over. */
  readonly onLost: (reason: string) => void;
}

/**
 * Renews a held lease every `renewEveryMs` (Clock-driven). A renewal that says "not ours" is a
 * loss at once; a renewal that fails (server unreachable) is retried until the next attempt would
 * come after the TTL ran out, because by then a standby may already hold it.
 */
export class LeaseKeeper {
  private readonly renewEveryMs: number;
  private cancelTimer: (() => void) | null = null;
  private running = false;
  private lastRenewedAt = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly lease: TraderLease,
    private readonly options: LeaseKeeperOptions,
  ) {
    this.renewEveryMs = options.renewEveryMs ?? DEFAULT_LEASE_RENEW_MS;
  }

  /** Starts renewing; call right after the lease was acquired. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastRenewedAt = this.options.clock.now();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** Settles when the renewal in progress (if any) is done; for tests and orderly shutdown. */
  settled(): Promise<void> {
    return this.inFlight;
  }

  private schedule(): void {
    this.cancelTimer = this.options.clock.setTimer(this.renewEveryMs, () => {
      this.inFlight = this.renewOnce();
    });
  }

  private async renewOnce(): Promise<void> {
    if (!this.running) return;
    const { clock, logger } = this.options;
    let outcome: boolean | Error;
    try {
      outcome = await this.lease.renew();
    } catch (error) {
      outcome = error instanceof Error ? error : new Error(String(error));
    }
    if (!this.running) return;
    if (outcome === true) {
      this.lastRenewedAt = clock.now();
      this.schedule();
      return;
    }
    if (outcome === false) {
      this.lose(`the ${this.lease.backend} lease "${this.lease.name}" is no longer ours`);
      return;
    }
    const sinceOkMs = clock.now() - this.lastRenewedAt;
    if (sinceOkMs + this.renewEveryMs >= this.lease.ttlMs) {
      this.lose(`renewal failing for ${sinceOkMs} ms (TTL ${this.lease.ttlMs} ms): ${describeError(outcome)}`);
      return;
    }
    logger.warn('lease renewal failed, retrying', { backend: this.lease.backend, error: describeError(outcome), sinceOkMs });
    this.schedule();
  }

  private lose(reason: string): void {
    this.stop();
    this.options.logger.error('lease lost', { backend: this.lease.backend, name: this.lease.name, reason });
    this.options.onLost(reason);
  }
}

export interface WaitForLeaseOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pollMs?: number;
  /** Called after each refused attempt with the current holder (null if unknown/free). */
  readonly onWaiting?: (holder: LeaseHolder | null) => void;
  /** Stops waiting (shutdown); waitForLease then resolves false. */
  readonly signal?: AbortSignal;
  /** Give up after this many attempts (tests); unlimited by default (a standby waits 24/7). */
  readonly maxAttempts?: number;
}

/**
 * Hot standby: tries to take the lease every `pollMs` until it succeeds. Resolves true when
 * acquired, false when aborted or out of attempts. Backend errors are logged and retried.
 */
export async function waitForLease(lease: TraderLease, options: WaitForLeaseOptions): Promise<boolean> {
  const { clock, logger } = options;
  const pollMs = options.pollMs ?? DEFAULT_STANDBY_POLL_MS;
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  let lastHolder: string | null = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (options.signal?.aborted === true) return false;
    try {
      if (await lease.tryAcquire()) {
        const fields = { backend: lease.backend, name: lease.name, token: lease.token.slice(0, 8), attempts: attempt };
        if (attempt === 1) logger.info('lease acquired', fields);
        else logger.warn('lease acquired', fields);
        return true;
      }
      const holder = await lease.holder().catch(() => null);
      const description = holder?.description ?? 'an unknown holder';
      // Loud when the holder changes, quiet while the same holder keeps it.
      if (description.replace(/, expires in .*$/, '') !== lastHolder) {
        logger.warn(`standby: lease held by ${description}`, { backend: lease.backend, name: lease.name });
        lastHolder = description.replace(/, expires in .*$/, '');
      } else {
        logger.debug(`standby: lease still held by ${description}`, { backend: lease.backend });
      }
      options.onWaiting?.(holder);
    } catch (error) {
      logger.warn('standby: cannot check the lease, retrying', { backend: lease.backend, error: describeError(error) });
      options.onWaiting?.(null);
    }
    if (attempt < maxAttempts) await clock.sleep(pollMs);
  }
  return false;
}

/** Creates the lease for STORE_URL and waits (as a standby if needed) until this process holds it. */
export async function acquireLease(
  storeUrl: string,
  options: LeaseOptions & Omit<WaitForLeaseOptions, 'clock' | 'logger'>,
): Promise<TraderLease | null> {
  const lease = createLease(storeUrl, options);
  const acquired = await waitForLease(lease, { ...options, logger: options.logger.child('lease') });
  if (acquired) return lease;
  await lease.release();
  return null;
}
