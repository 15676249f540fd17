import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock, SystemClock } from '../../src/adapters/clock.js';
import { LeaseKeeper, createLease, waitForLease } from '../../src/db/lease.js';
import type { LeaseHolder, TraderLease } from '../../src/db/lease.js';
import type { Clock } from '../../src/engine/ports.js';
import { StoreError } from '../../src/errors.js';
import { testService, type TestService } from '../helpers/services.js';
import { RecordingLogger } from './fixtures.js';

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
function sqliteUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slt-lease-'));
  tempDirs.push(dir);
  return `sqlite://${join(dir, 'state.sqlite')}`;
}

describe('sqlite lock-file lease', () => {
  const clock = new ManualClock(Date.UTC(2024, 4, 2));
  const make = (url: string, logger = new RecordingLogger()) => createLease(url, { logger, clock, ttlMs: 15_000 });

  it('refuses a second trader while the first keeps renewing', async () => {
    const url = sqliteUrl();
    const first = make(url);
    const second = make(url);
    expect(await first.tryAcquire()).toBe(true);
    for (let i = 0; i < 4; i++) {
      clock.advance(5_000);
      expect(await first.renew()).toBe(true);
      expect(await second.tryAcquire()).toBe(false);
    }
    const holder = await second.holder();
    expect(holder).toMatchObject({ token: first.token, pid: process.pid, host: hostname() });
    expect(holder?.description).toMatch(
      new RegExp(`^pid ${process.pid} on .* \\(token ${first.token.slice(0, 8)}…\\), expires in 15\\.0 s$`),
    );
  });

  it('lets a standby take over once the holder has not renewed for a TTL, and the old holder learns it lost', async () => {
    const url = sqliteUrl();
    const first = make(url);
    const logger = new RecordingLogger();
    const second = make(url, logger);
    expect(await first.tryAcquire()).toBe(true);
    clock.advance(14_999);
    expect(await second.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(await second.tryAcquire()).toBe(true);
    expect(logger.messages('warn')).toContain('lease: taking over a stale lock file');
    expect(await first.renew()).toBe(false);
    expect(await first.tryAcquire()).toBe(false);
  });

  it('takes over at once from a process on this host that is no longer running', async () => {
    const url = sqliteUrl();
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    if (deadPid === undefined) throw new Error('could not start a child process');
    const lockPath = `${url.slice('sqlite://'.length)}.lock`;
    writeFileSync(
      lockPath,
      JSON.stringify({
        token: 'dead',
        pid: deadPid,
        host: hostname(),
        name: 'trader',
        acquiredAt: clock.now(),
        expiresAt: clock.now() + 60_000,
      }),
    );
    const lease = make(url);
    expect(await lease.tryAcquire()).toBe(true);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ token: lease.token, pid: process.pid });
  });

  it('frees the lease on release, and a released lease is not renewed', async () => {
    const url = sqliteUrl();
    const first = make(url);
    const second = make(url);
    expect(await first.tryAcquire()).toBe(true);
    await first.release();
    expect(await second.holder()).toBeNull();
    expect(await second.tryAcquire()).toBe(true);
    expect(await first.renew()).toBe(false);
  });

  it('cannot lease an in-memory sqlite store', () => {
    expect(() => createLease('sqlite://:memory:', { logger: new RecordingLogger(), clock })).toThrow(StoreError);
  });
});

/** Polls `check` every 50 ms for at most `maxMs` (bounded); resolves with its last answer. */
async function eventually(check: () => Promise<boolean>, maxMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  for (let i = 0; i < 200; i++) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function describeServerLease(label: string, service: TestService, expiry: (holder: TraderLease, url: string) => Promise<void>): void {
  describe.skipIf(service.skip)(`${label} lease`, () => {
    const clock = new SystemClock();
    const leases: TraderLease[] = [];
    let name = '';
    const make = (ttlMs = 300): TraderLease => {
      const lease = createLease(service.require(), { logger: new RecordingLogger(), clock, ttlMs, name, namespace: 'lease-test' });
      leases.push(lease);
      return lease;
    };
    afterEach(async () => {
      await Promise.all(leases.splice(0).map((l) => l.release()));
    });
    // A fresh lease name per test: reruns and parallel runs never collide.
    const fresh = () => {
      name = `acct-${randomUUID().slice(0, 8)}`;
    };

    it('refuses a second trader while the first keeps renewing', async () => {
      fresh();
      const first = make();
      const second = make();
      expect(await first.tryAcquire()).toBe(true);
      for (let i = 0; i < 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await first.renew()).toBe(true);
        expect(await second.tryAcquire()).toBe(false);
      }
      expect(await second.holder()).toMatchObject({ pid: process.pid, host: expect.stringContaining(hostname().slice(0, 24)) });
    });

    it('hands the lease to the standby once the holder is gone, and the old holder learns it lost', async () => {
      fresh();
      const first = make();
      const second = make();
      expect(await first.tryAcquire()).toBe(true);
      expect(await second.tryAcquire()).toBe(false);
      await expiry(first, service.require());
      expect(await eventually(() => second.tryAcquire())).toBe(true);
      expect(await first.renew()).toBe(false);
    });

    it('frees the lease at once on release', async () => {
      fresh();
      const first = make(60_000);
      const second = make(60_000);
      expect(await first.tryAcquire()).toBe(true);
      await first.release();
      expect(await second.tryAcquire()).toBe(true);
      expect(await first.renew()).toBe(false);
    });
  });
}

// Redis: the holder simply stops renewing; the key expires after its 300 ms TTL.
describeServerLease('redis', testService('TEST_REDIS_URL'), async () => undefined);

// PostgreSQL: a row with an expiry in the server's time; the holder simply stops renewing.
describeServerLease('postgres', testService('TEST_POSTGRES_URL'), async () => undefined);

/** A lease whose answers the test scripts. */
class ScriptedLease implements TraderLease {
  readonly backend = 'sqlite' as const;
  readonly name = 'trader';
  readonly token = 'scripted-token';
  renewCalls = 0;
  constructor(
    readonly ttlMs: number,
    private readonly renewAnswers: Array<boolean | 'throw'> = [],
    private readonly acquireAnswers: boolean[] = [],
  ) {}
  async tryAcquire(): Promise<boolean> {
    return this.acquireAnswers.shift() ?? true;
  }
  async renew(): Promise<boolean> {
    this.renewCalls++;
    const answer = this.renewAnswers.shift() ?? true;
    if (answer === 'throw') throw new StoreError('connection refused');
    return answer;
  }
  async release(): Promise<void> {}
  async holder(): Promise<LeaseHolder | null> {
    return { token: 'other', pid: 4242, host: 'web-1', expiresAt: null, description: 'pid 4242 on web-1 (token other…)' };
  }
}

describe('LeaseKeeper', () => {
  async function step(clock: ManualClock, keeper: LeaseKeeper, ms: number): Promise<void> {
    clock.advance(ms);
    await keeper.settled();
  }

  it('renews every 5 s and never reports a loss while renewals succeed', async () => {
    const clock = new ManualClock(0);
    const lease = new ScriptedLease(15_000);
    const lost: string[] = [];
    const keeper = new LeaseKeeper(lease, { clock, logger: new RecordingLogger(), onLost: (r) => lost.push(r) });
    keeper.start();
    for (let i = 0; i < 6; i++) await step(clock, keeper, 5_000);
    expect(lease.renewCalls).toBe(6);
    expect(lost).toEqual([]);
    keeper.stop();
    await step(clock, keeper, 20_000);
    expect(lease.renewCalls).toBe(6);
  });

  it('reports the loss once, loudly, when the lease is no longer ours', async () => {
    const clock = new ManualClock(0);
    const logger = new RecordingLogger();
    const lost: string[] = [];
    const keeper = new LeaseKeeper(new ScriptedLease(15_000, [true, false]), { clock, logger, onLost: (r) => lost.push(r) });
    keeper.start();
    for (let i = 0; i < 5; i++) await step(clock, keeper, 5_000);
    expect(lost).toEqual(['the sqlite lease "trader" is no longer ours']);
    expect(logger.messages('error')).toEqual(['lease lost']);
  });

  it('rides out one failed renewal but gives up before the TTL can run out', async () => {
    const clock = new ManualClock(0);
    const lost: string[] = [];
    const logger = new RecordingLogger();
    const flaky = new ScriptedLease(15_000, ['throw', true, 'throw', 'throw', true]);
    const keeper = new LeaseKeeper(flaky, { clock, logger, onLost: (r) => lost.push(r) });
    keeper.start();
    await step(clock, keeper, 5_000); // throw at 5 s: 5 s since the last renewal, retry
    await step(clock, keeper, 5_000); // ok at 10 s
    expect(lost).toEqual([]);
    expect(logger.messages('warn')).toEqual(['lease renewal failed, retrying']);
    await step(clock, keeper, 5_000); // throw at 15 s (5 s since ok)
    await step(clock, keeper, 5_000); // throw at 20 s: 10 s since ok, next try would be at the TTL
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/^renewal failing for 10000 ms \(TTL 15000 ms\): StoreError: connection refused$/);
    await step(clock, keeper, 5_000);
    expect(flaky.renewCalls).toBe(4);
  });
});

describe('LeaseKeeper fencing', () => {
  it('reports the lease lost before its TTL when a renewal hangs (network partition)', async () => {
    const clock = new ManualClock(0);
    const lost: Array<{ at: number; reason: string }> = [];
    const hanging: TraderLease = {
      backend: 'postgres',
      name: 'trader',
      token: 't',
      ttlMs: 15_000,
      tryAcquire: async () => true,
      renew: () => new Promise<boolean>(() => undefined),
      release: async () => undefined,
      holder: async () => null,
    };
    const keeper = new LeaseKeeper(hanging, {
      clock,
      logger: new RecordingLogger(),
      onLost: (reason) => lost.push({ at: clock.now(), reason }),
    });
    keeper.start();
    for (let t = 0; t < 20; t++) clock.advance(1_000);
    expect(lost).toHaveLength(1);
    // TTL 15 s, renewals every 5 s: stops 2.5 s before the server could expire it.
    expect(lost[0]?.at).toBe(12_500);
    expect(lost[0]?.reason).toMatch(/^no renewal for 12500 ms \(TTL 15000 ms\): stopping before the lease can expire$/);
  });
});

describe('waitForLease', () => {
  const instant: Clock = { now: () => 0, setTimer: () => () => undefined, sleep: async () => undefined };

  it('waits as a standby, says who holds the lease, and takes it when free', async () => {
    const logger = new RecordingLogger();
    const waited: Array<string | undefined> = [];
    const acquired = await waitForLease(new ScriptedLease(15_000, [], [false, false, true]), {
      clock: instant,
      logger,
      onWaiting: (holder) => waited.push(holder?.description),
    });
    expect(acquired).toBe(true);
    expect(waited).toEqual(['pid 4242 on web-1 (token other…)', 'pid 4242 on web-1 (token other…)']);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'standby: lease held by pid 4242 on web-1 (token other…)',
      'lease acquired',
    ]);
  });

  it('gives up after maxAttempts or when aborted', async () => {
    const refuse = () =>
      new ScriptedLease(
        15_000,
        [],
        Array.from({ length: 10 }, () => false),
      );
    expect(await waitForLease(refuse(), { clock: instant, logger: new RecordingLogger(), maxAttempts: 3 })).toBe(false);
    const controller = new AbortController();
    controller.abort();
    expect(await waitForLease(refuse(), { clock: instant, logger: new RecordingLogger(), signal: controller.signal })).toBe(false);
  });
});
