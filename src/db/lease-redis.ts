/**
 * The Redis backend's lease: `SET key value NX PX ttl`; renewed (PEXPIRE) and released (DEL)
 * by a Lua script only while the value is still ours. Redis expires the key by itself.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createClient } from '@keyv/redis';
import type { Clock, Logger } from '../engine/ports.js';
import { StoreError, describeError } from '../errors.js';
import type { TraderLease } from './lease.js';
import { CONNECT_TIMEOUT_MS, describeHolder, isHolderInfo, parseJson, type HolderInfo, type LeaseHolder } from './lease-holder.js';
import { redactUrl } from './url.js';

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
