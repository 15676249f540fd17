/**
 * One trader per account: a lease that only one process holds at a time; the others wait as
 * hot standbys and take over when the holder stops renewing (crash, deploy, network loss).
 *
 * Backends follow STORE_URL, so the lease lives where the state lives, and every backend has
 * a real expiry: a holder that has not renewed for LEASE_TTL_MS has lost the lease.
 *  - sqlite: a lock file next to the database (lease-file.ts); on the same host a dead pid
 *    frees it at once.
 *  - PostgreSQL: a row with an expiry in the server's time (lease-postgres.ts).
 *  - Redis: `SET key value NX PX ttl`, renewed by a script while still ours (lease-redis.ts).
 *
 * The holder renews every 5 s (`LeaseKeeper`); when it cannot renew, it stops trading before
 * its TTL can have run out on the server (fencing), so a standby that takes over after the
 * expiry never trades alongside it. Defaults: TTL 15 s, renewal every 5 s, standby poll every 5 s.
 */
import type { Clock, Logger } from '../engine/ports.js';
import { StoreError, describeError } from '../errors.js';
import { FileLease } from './lease-file.js';
import type { LeaseHolder } from './lease-holder.js';
import { PostgresLease } from './lease-postgres.js';
import { RedisLease } from './lease-redis.js';
import { DEFAULT_NAMESPACE } from './store.js';
import { parseStoreUrl } from './url.js';
import type { StoreBackend } from './url.js';

export { FileLease } from './lease-file.js';
export { PostgresLease, LEASE_TABLE } from './lease-postgres.js';
export { RedisLease } from './lease-redis.js';
export type { LeaseHolder } from './lease-holder.js';

export const DEFAULT_LEASE_TTL_MS = 15_000;
export const DEFAULT_LEASE_RENEW_MS = 5_000;
export const DEFAULT_STANDBY_POLL_MS = 5_000;

export interface TraderLease {
  readonly backend: StoreBackend;
  readonly name: string;
  /** This process's token (random per lease object). */
  readonly token: string;
  readonly ttlMs: number;
  /** Takes the lease if free or expired (or renews it if already ours). */
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
  /** Same namespace as the store (keys of the Redis lease; the PostgreSQL lease row). */
  readonly namespace?: string;
  readonly ttlMs?: number;
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
      if (location.inMemory)
        throw new StoreError('an in-memory sqlite store cannot coordinate processes; use a file (sqlite://state/state.sqlite)');
      return new FileLease(`${location.path}.lock`, name, ttlMs, options.clock, logger);
    case 'postgres':
      return new PostgresLease(location.url, name, namespace, ttlMs, logger, () => options.clock.now());
    case 'redis':
      return new RedisLease(location.url, name, namespace, ttlMs, options.clock, logger);
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
 * come after the TTL ran out, because by then a standby may already hold it. A watchdog fences
 * even when a renewal hangs: once `ttlMs - marginMs` has passed since the last renewal was sent
 * (the server's expiry is at least `ttlMs` after that), the lease is reported lost.
 */
export class LeaseKeeper {
  private readonly renewEveryMs: number;
  private cancelTimer: (() => void) | null = null;
  private cancelWatchdog: (() => void) | null = null;
  private running = false;
  private lastRenewedAt = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly lease: TraderLease,
    private readonly options: LeaseKeeperOptions,
  ) {
    // Renew well inside the TTL: every 5 s, or a third of a shorter TTL.
    this.renewEveryMs = options.renewEveryMs ?? Math.min(DEFAULT_LEASE_RENEW_MS, Math.floor(lease.ttlMs / 3));
  }

  /** Starts renewing; call right after the lease was acquired. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastRenewedAt = this.options.clock.now();
    this.armWatchdog();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.cancelWatchdog?.();
    this.cancelWatchdog = null;
  }

  /** Settles when the renewal in progress (if any) is done; for tests and orderly shutdown. */
  settled(): Promise<void> {
    return this.inFlight;
  }

  /** How long before the TTL runs out the holder stops by itself. */
  private marginMs(): number {
    return Math.min(this.renewEveryMs / 2, this.lease.ttlMs / 4);
  }

  private armWatchdog(): void {
    this.cancelWatchdog?.();
    const dueInMs = this.lastRenewedAt + this.lease.ttlMs - this.marginMs() - this.options.clock.now();
    this.cancelWatchdog = this.options.clock.setTimer(Math.max(0, dueInMs), () => {
      this.cancelWatchdog = null;
      if (!this.running) return;
      const sinceOkMs = this.options.clock.now() - this.lastRenewedAt;
      this.lose(`no renewal for ${sinceOkMs} ms (TTL ${this.lease.ttlMs} ms): stopping before the lease can expire`);
    });
  }

  private schedule(): void {
    this.cancelTimer = this.options.clock.setTimer(this.renewEveryMs, () => {
      this.inFlight = this.renewOnce();
    });
  }

  private async renewOnce(): Promise<void> {
    if (!this.running) return;
    const { clock, logger } = this.options;
    // The server's new expiry is at least ttl after this moment.
    const sentAt = clock.now();
    let outcome: boolean | Error;
    try {
      outcome = await this.lease.renew();
    } catch (error) {
      outcome = error instanceof Error ? error : new Error(String(error));
    }
    if (!this.running) return;
    if (outcome === true) {
      this.lastRenewedAt = sentAt;
      this.armWatchdog();
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
    if (!this.running) return;
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
