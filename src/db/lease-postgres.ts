/**
 * The PostgreSQL backend's lease: one row per lease in `slt_trader_leases`, with an expiry
 * in the server's own time (`now()`), so the holder's and the standby's clocks never matter.
 *
 *   acquire  INSERT … ON CONFLICT DO UPDATE … WHERE the row expired or is ours
 *   renew    UPDATE … SET expires_at = now() + ttl WHERE ours AND not yet expired
 *   release  DELETE … WHERE ours
 *
 * Unlike an advisory lock, the lease does not live as long as a TCP connection: a holder cut
 * off by a network partition (its connection half-open for hours) loses the lease after
 * LEASE_TTL_MS like on every other backend, and a standby takes over. Every query has a
 * client-side timeout shorter than the TTL, so a renewal never hangs past it; the
 * LeaseKeeper stops trading (fencing) before the server-side expiry.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { Client as PgClient, QueryResult } from 'pg';
import type { Logger } from '../engine/ports.js';
import { StoreError, describeError } from '../errors.js';
import type { TraderLease } from './lease.js';
import { CONNECT_TIMEOUT_MS, describeHolder, isHolderInfo, parseJson, type HolderInfo, type LeaseHolder } from './lease-holder.js';
import { redactUrl } from './url.js';

export const LEASE_TABLE = 'slt_trader_leases';

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${LEASE_TABLE} (
  name text PRIMARY KEY,
  token text NOT NULL,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
)`;

const ACQUIRE = `INSERT INTO ${LEASE_TABLE} AS l (name, token, holder, expires_at)
  VALUES ($1, $2, $3, now() + $4::int * interval '1 millisecond')
  ON CONFLICT (name) DO UPDATE
    SET token = EXCLUDED.token, holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
    WHERE l.expires_at <= now() OR l.token = EXCLUDED.token
  RETURNING token`;

const RENEW = `UPDATE ${LEASE_TABLE} SET expires_at = now() + $3::int * interval '1 millisecond'
  WHERE name = $1 AND token = $2 AND expires_at > now()
  RETURNING token`;

const RELEASE = `DELETE FROM ${LEASE_TABLE} WHERE name = $1 AND token = $2`;

const HOLDER = `SELECT token, holder, (extract(epoch FROM (expires_at - now())) * 1000)::bigint AS remaining_ms
  FROM ${LEASE_TABLE} WHERE name = $1 AND expires_at > now()`;

export class PostgresLease implements TraderLease {
  readonly backend = 'postgres' as const;
  readonly token = randomUUID();
  private client: PgClient | null = null;
  private tableReady = false;
  private readonly key: string;
  private readonly where: string;
  /** Client-side bound of every query and connect: well inside the TTL. */
  private readonly timeoutMs: number;

  constructor(
    private readonly url: string,
    readonly name: string,
    namespace: string,
    readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.key = `${namespace}:${name}`;
    this.where = redactUrl(url);
    this.timeoutMs = Math.max(200, Math.min(CONNECT_TIMEOUT_MS, Math.floor(ttlMs / 3)));
  }

  async tryAcquire(): Promise<boolean> {
    const info: HolderInfo = { token: this.token, pid: process.pid, host: hostname(), name: this.name, acquiredAt: this.now() };
    const result = await this.query(ACQUIRE, [this.key, this.token, JSON.stringify(info), Math.round(this.ttlMs)]);
    return result.rows[0]?.['token'] === this.token;
  }

  async renew(): Promise<boolean> {
    const result = await this.query(RENEW, [this.key, this.token, Math.round(this.ttlMs)]);
    return result.rows.length === 1;
  }

  async release(): Promise<void> {
    try {
      await this.query(RELEASE, [this.key, this.token]);
    } catch (error) {
      this.logger.warn('lease: could not release the PostgreSQL lease (it will expire)', {
        where: this.where,
        error: describeError(error),
      });
    } finally {
      await this.dropConnection();
    }
  }

  async holder(): Promise<LeaseHolder | null> {
    const result = await this.query(HOLDER, [this.key]);
    const row = result.rows[0];
    if (row === undefined) return null;
    const remainingMs = Number(row['remaining_ms']);
    const expiresAt = Number.isFinite(remainingMs) ? this.now() + remainingMs : null;
    const extra = Number.isFinite(remainingMs) ? `, expires in ${(remainingMs / 1000).toFixed(1)} s` : '';
    const info = parseJson(String(row['holder']));
    if (!isHolderInfo(info)) {
      const token = typeof row['token'] === 'string' ? row['token'] : null;
      return { token, pid: null, host: null, expiresAt, description: describeHolder({ token, pid: null, host: null }, extra) };
    }
    return { token: info.token, pid: info.pid, host: info.host, expiresAt, description: describeHolder(info, extra) };
  }

  private async connect(): Promise<PgClient> {
    if (this.client !== null) return this.client;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: `trader-lease ${process.pid} ${hostname().slice(0, 24)} ${this.token.slice(0, 8)}`,
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: this.timeoutMs,
      statement_timeout: this.timeoutMs,
      keepAlive: true,
    });
    client.on('error', (error) => {
      this.logger.warn('lease: PostgreSQL connection error', { where: this.where, error: describeError(error) });
      if (this.client === client) this.client = null;
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

  /** One query; a failure (timeout included) drops the connection, which may be half-open. */
  private async query(sql: string, values: readonly unknown[]): Promise<QueryResult<Record<string, unknown>>> {
    const client = await this.connect();
    try {
      if (!this.tableReady) {
        await client.query(CREATE_TABLE).catch((error: unknown) => {
          // Two instances creating the table at the same instant: the loser's error is harmless.
          const code = (error as { code?: unknown }).code;
          if (code !== '23505' && code !== '42P07') throw error;
        });
        this.tableReady = true;
      }
      return await client.query<Record<string, unknown>>(sql, values as unknown[]);
    } catch (error) {
      await this.dropConnection();
      throw new StoreError(`lease: query on ${this.where} failed: ${describeError(error)}`, { cause: error });
    }
  }

  private async dropConnection(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client === null) return;
    // A half-open connection may never answer `end()`: do not wait for it beyond the timeout.
    const ended = client.end().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.timeoutMs)))]);
    if (timer !== undefined) clearTimeout(timer);
  }
}
