/**
 * The sqlite backend's lease: a lock file next to the database (`state.sqlite.lock`) holding
 * {pid, host, token, expiresAt}; created atomically (link), renewed by an atomic rewrite
 * (rename); stale when expiresAt has passed or, on the same host, the pid is dead. Two
 * standbys taking over the same stale file at the same instant could both believe they won;
 * the loser finds a foreign token at its next renewal (≤ 5 s) and reports the lease lost.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import type { Clock, Logger } from '../engine/ports.js';
import { StoreError, describeError } from '../errors.js';
import type { TraderLease } from './lease.js';
import { describeHolder, isHolderInfo, parseJson, type HolderInfo, type LeaseHolder } from './lease-holder.js';

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
    if (current === 'corrupt')
      return { token: null, pid: null, host: null, expiresAt: null, description: `an unreadable lock file ${this.lockPath}` };
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
