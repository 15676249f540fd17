/**
 * The PostgreSQL lease has a real expiry (issue 9, "The PostgreSQL lease has no expiry"):
 * a holder cut off by a network partition (its TCP connection half-open: nothing answers,
 * nothing closes) stops trading by itself before its TTL runs out (fencing), and a standby
 * takes over once the lease has expired. Real PostgreSQL (TEST_POSTGRES_URL, started by
 * `.ci/run`), the partition made by a local TCP relay that stops forwarding.
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/adapters/clock.js';
import { LeaseKeeper, createLease, type TraderLease } from '../../src/db/lease.js';
import { MemoryLogger } from '../../src/logger.js';

const url = process.env['TEST_POSTGRES_URL'];

/** A TCP relay to PostgreSQL that can be cut: after `cut()` bytes are swallowed, sockets stay open. */
async function startRelay(target: URL): Promise<{ url: string; cut: () => void; close: () => Promise<void> }> {
  let cut = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (chunk: Uint8Array) => {
      if (!cut) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Uint8Array) => {
      if (!cut) client.write(chunk);
    });
    const end = (): void => {
      if (cut) return; // a partition does not close anything
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const relayed = new URL(target.href);
  relayed.hostname = '127.0.0.1';
  relayed.port = String(port);
  return {
    url: relayed.href,
    cut: () => {
      cut = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe.skipIf(url === undefined)('PostgreSQL lease under a network partition', () => {
  it('the cut-off holder stops trading before its TTL runs out; the standby takes over after the expiry', async () => {
    const relay = await startRelay(new URL(url ?? ''));
    cleanups.push(relay.close);
    const clock = new SystemClock();
    const name = `acct-${randomUUID().slice(0, 8)}`;
    const ttlMs = 3_000;
    const holderLogger = new MemoryLogger();
    const holder: TraderLease = createLease(relay.url, { logger: holderLogger, clock, ttlMs, name, namespace: 'partition-test' });
    const standby: TraderLease = createLease(url ?? '', { logger: new MemoryLogger(), clock, ttlMs, name, namespace: 'partition-test' });
    cleanups.push(() => standby.release());

    expect(await holder.tryAcquire()).toBe(true);
    expect(await standby.tryAcquire()).toBe(false);
    const events: string[] = [];
    const keeper = new LeaseKeeper(holder, {
      clock,
      logger: holderLogger,
      renewEveryMs: 1_000,
      onLost: (reason) => events.push(`fenced: ${reason}`),
    });
    keeper.start();
    cleanups.push(async () => keeper.stop());
    // Renewals go through while connected.
    await clock.sleep(2_200);
    expect(events).toEqual([]);
    expect(await standby.tryAcquire()).toBe(false);

    relay.cut();
    // The standby polls every 100 ms (bounded: 100 polls); the holder's keeper fences by itself.
    let acquired = false;
    for (let i = 0; i < 100 && !acquired; i++) {
      await clock.sleep(100);
      acquired = await standby.tryAcquire();
      if (acquired) events.push('standby acquired');
    }
    expect(acquired).toBe(true);
    // Fenced first, then taken over: never two holders trading at once.
    expect(events).toHaveLength(2);
    expect(events[0]).toMatch(/^fenced: /);
    expect(events[1]).toBe('standby acquired');
    expect(holderLogger.lines.some((l) => l.level === 'error' && l.message === 'lease lost')).toBe(true);
    const info = await standby.holder();
    expect(info?.token).toBe(standby.token);
  }, 30_000);

  it('a holder that renews keeps the lease past many TTLs', async () => {
    const clock = new SystemClock();
    const name = `acct-${randomUUID().slice(0, 8)}`;
    const holder = createLease(url ?? '', { logger: new MemoryLogger(), clock, ttlMs: 600, name, namespace: 'partition-test' });
    const standby = createLease(url ?? '', { logger: new MemoryLogger(), clock, ttlMs: 600, name, namespace: 'partition-test' });
    cleanups.push(
      () => holder.release(),
      () => standby.release(),
    );
    expect(await holder.tryAcquire()).toBe(true);
    for (let i = 0; i < 8; i++) {
      await clock.sleep(200);
      expect(await holder.renew()).toBe(true);
      expect(await standby.tryAcquire()).toBe(false);
    }
    expect((await standby.holder())?.token).toBe(holder.token);
  }, 30_000);
});
