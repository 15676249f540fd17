/**
 * The outbox behind the Discord notifier: delivery to subscribed channels, back-off while
 * Discord fails, merging floods, bounded size, and surviving a restart. ManualClock drives
 * time; the delivery is a recording fake.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import type { Notice, NoticeKind } from '../../src/engine/ports.js';
import { Outbox, PermanentDeliveryError, type NoticeDelivery, type OutboxPersistence } from '../../src/discord/outbox.js';
import { RecordingLogger } from '../db/fixtures.js';

function notice(kind: NoticeKind, key: string, overrides: Partial<Notice> = {}): Notice {
  return { kind, key, severity: 'info', title: key, lines: [`line of ${key}`], at: 0, ...overrides };
}

class FakeDelivery implements NoticeDelivery {
  readonly sent: { channelId: string; title: string; repeats: number; bytes: number[] }[] = [];
  failures = 0;
  readonly channels: Record<NoticeKind, string[]> = { report: ['reports-ch'], alert: ['reports-ch', 'ops-ch'], trade: ['trades-ch'] };
  readonly forbidden = new Set<string>();
  async channelsFor(kind: NoticeKind): Promise<readonly string[]> {
    return this.channels[kind];
  }
  async send(channelId: string, n: Notice, repeats: number): Promise<void> {
    if (this.forbidden.has(channelId)) throw new PermanentDeliveryError('403 Missing Access');
    if (this.failures > 0) {
      this.failures--;
      throw new Error('connect ECONNREFUSED 127.0.0.1:443');
    }
    this.sent.push({ channelId, title: n.title, repeats, bytes: [...(n.attachments?.[0]?.data ?? [])] });
  }
}

class MemoryPersistence implements OutboxPersistence {
  document: unknown = null;
  saves = 0;
  async load(): Promise<unknown> {
    return this.document === null ? null : JSON.parse(JSON.stringify(this.document));
  }
  async save(document: unknown): Promise<void> {
    this.saves++;
    this.document = JSON.parse(JSON.stringify(document));
  }
}

function rig(options: { capacity?: number; persistence?: MemoryPersistence } = {}) {
  const clock = new ManualClock(1_000);
  const delivery = new FakeDelivery();
  const persistence = options.persistence ?? new MemoryPersistence();
  const logger = new RecordingLogger();
  const outbox = new Outbox({
    clock,
    delivery,
    persistence,
    logger,
    initialBackoffMs: 1_000,
    maxBackoffMs: 8_000,
    ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
  });
  return { clock, delivery, persistence, logger, outbox };
}

describe('Outbox', () => {
  it('posts each notice to every channel subscribed to its kind, in order', async () => {
    const { outbox, delivery } = rig();
    await outbox.start();
    outbox.notify(notice('report', 'report:2026-11-30'));
    outbox.notify(notice('alert', 'score_below_70:2026-11-30', { severity: 'critical' }));
    await outbox.idle();
    expect(delivery.sent.map((s) => [s.channelId, s.title])).toEqual([
      ['reports-ch', 'report:2026-11-30'],
      ['reports-ch', 'score_below_70:2026-11-30'],
      ['ops-ch', 'score_below_70:2026-11-30'],
    ]);
    expect(outbox.stats()).toMatchObject({ queued: 0, sent: 2 });
  });

  it('returns at once even when delivery fails, and retries with growing back-off until it gets through', async () => {
    const { outbox, delivery, clock } = rig();
    await outbox.start();
    delivery.failures = 3;
    outbox.notify(notice('report', 'r1'));
    await outbox.idle();
    expect(delivery.sent).toEqual([]);
    expect(outbox.stats()).toMatchObject({ queued: 1, failedAttempts: 1 });
    clock.advance(999);
    await outbox.idle();
    expect(outbox.stats().failedAttempts).toBe(1);
    clock.advance(1); // 1 s after the first failure
    await outbox.idle();
    expect(outbox.stats().failedAttempts).toBe(2);
    clock.advance(2_000); // then 2 s
    await outbox.idle();
    expect(outbox.stats().failedAttempts).toBe(3);
    clock.advance(3_999); // then 4 s: not yet
    await outbox.idle();
    expect(delivery.sent).toEqual([]);
    clock.advance(1);
    await outbox.idle();
    expect(delivery.sent.map((s) => s.title)).toEqual(['r1']);
    expect(outbox.stats().lastError).toContain('ECONNREFUSED');
  });

  it('skips a channel the bot may not post to, without blocking the others', async () => {
    const { outbox, delivery, logger } = rig();
    await outbox.start();
    delivery.forbidden.add('reports-ch');
    outbox.notify(notice('alert', 'a1'));
    await outbox.idle();
    expect(delivery.sent.map((s) => s.channelId)).toEqual(['ops-ch']);
    expect(outbox.stats().queued).toBe(0);
    expect(logger.messages('warn').some((m) => m.includes('cannot post to channel reports-ch'))).toBe(true);
  });

  it('merges a repeated alert into the queued one and counts the repeats', async () => {
    const { outbox, delivery } = rig();
    await outbox.start();
    delivery.failures = 1;
    outbox.notify(notice('alert', 'unprotected:BTCUSDT', { title: 'BTCUSDT without stop' }));
    await outbox.idle();
    outbox.notify(notice('alert', 'unprotected:BTCUSDT', { title: 'BTCUSDT without stop', severity: 'critical' }));
    outbox.notify(notice('alert', 'unprotected:BTCUSDT', { title: 'BTCUSDT without stop' }));
    expect(outbox.stats()).toMatchObject({ queued: 1, merged: 2 });
  });

  it('folds a flood of trade notices into one digest', async () => {
    const { outbox, delivery, clock } = rig();
    await outbox.start();
    delivery.failures = 1;
    for (let i = 0; i < 25; i++) outbox.notify(notice('trade', `trade:${i}`, { title: `T${i}` }));
    await outbox.idle();
    expect(outbox.stats().queued).toBe(10);
    clock.advance(1_000);
    await outbox.idle();
    const digest = delivery.sent.at(-1)!;
    expect(digest).toMatchObject({ title: '16 trade notices', repeats: 16 });
    expect(delivery.sent).toHaveLength(10);
  });

  it('stays bounded, dropping trade notices before alerts when full', async () => {
    const { outbox, delivery } = rig({ capacity: 3 });
    await outbox.start();
    delivery.failures = 1;
    outbox.notify(notice('alert', 'a1', { severity: 'critical' }));
    await outbox.idle();
    outbox.notify(notice('trade', 't1'));
    outbox.notify(notice('alert', 'a2', { severity: 'warning' }));
    outbox.notify(notice('report', 'r1'));
    expect(outbox.stats()).toMatchObject({ queued: 3, dropped: 1 });
  });

  it('writes a burst of notices in two writes, not one per notice, and the last write holds them all', async () => {
    const { outbox, delivery, persistence } = rig();
    await outbox.start();
    delivery.failures = 100;
    const savesBefore = persistence.saves;
    for (let i = 0; i < 20; i++) outbox.notify(notice('alert', `breaker_block:${i}`, { severity: 'critical' }));
    await outbox.stop();
    expect(persistence.saves - savesBefore).toBeLessThanOrEqual(3);
    const stored = persistence.document as { items: { notice: { key: string } }[] };
    expect(stored.items.map((item) => item.notice.key)).toEqual(Array.from({ length: 20 }, (_, i) => `breaker_block:${i}`));
  });

  it('survives a restart: what was not delivered (attachments included) is sent by the next run', async () => {
    const first = rig();
    await first.outbox.start();
    first.delivery.failures = 100;
    first.outbox.notify(
      notice('report', 'report:2026-11-30', {
        attachments: [{ name: 'score.png', contentType: 'image/png', data: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }],
      }),
    );
    await first.outbox.idle();
    await first.outbox.stop();

    const second = rig({ persistence: first.persistence });
    await second.outbox.start();
    await second.outbox.idle();
    expect(second.delivery.sent).toEqual([
      { channelId: 'reports-ch', title: 'report:2026-11-30', repeats: 1, bytes: [0x89, 0x50, 0x4e, 0x47] },
    ]);
    await second.outbox.stop();
    expect(second.persistence.document).toEqual({ version: 1, items: [] });
  });
});
