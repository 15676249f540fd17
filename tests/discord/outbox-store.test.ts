/**
 * The outbox persisted in the real sqlite store: notices not delivered when the bot stops
 * are delivered after it reopens the same store (attachments included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { openStore } from '../../src/db/store.js';
import { Outbox, type NoticeDelivery } from '../../src/discord/outbox.js';
import type { Notice } from '../../src/engine/ports.js';
import { RecordingLogger } from '../db/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'slt-outbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function delivery(sent: string[], up: () => boolean): NoticeDelivery {
  return {
    channelsFor: async () => ['123456789012345678'],
    send: async (_channel, notice) => {
      if (!up()) throw new Error('Discord is not connected');
      sent.push(`${notice.title} [${(notice.attachments ?? []).map((a) => `${a.name}:${a.data.length}`).join(',')}]`);
    },
  };
}

describe('the outbox in the store', () => {
  it('delivers after a restart what Discord did not take before it', async () => {
    const url = `sqlite://${join(dir, 'state.sqlite')}`;
    const clock = new ManualClock(0);
    const logger = new RecordingLogger();
    const report: Notice = {
      kind: 'report',
      key: 'report:2026-11-29',
      severity: 'info',
      title: 'Model report 2026-11-29: 74/100 · grade B',
      lines: ['P&L $12.50'],
      at: 0,
      attachments: [{ name: 'equity.png', contentType: 'image/png', data: new Uint8Array(2048).fill(7) }],
    };

    const first = await openStore(url, { logger, clock });
    const before: string[] = [];
    const down = new Outbox({ clock, delivery: delivery(before, () => false), persistence: first.outbox, logger });
    await down.start();
    down.notify(report);
    await down.idle();
    await down.stop();
    await first.close();
    expect(before).toEqual([]);

    const second = await openStore(url, { logger, clock });
    const after: string[] = [];
    const up = new Outbox({ clock, delivery: delivery(after, () => true), persistence: second.outbox, logger });
    await up.start();
    await up.idle();
    await up.stop();
    expect(after).toEqual(['Model report 2026-11-29: 74/100 · grade B [equity.png:2048]']);
    expect(await second.outbox.load()).toEqual({ version: 1, items: [] });
    await second.close();
  });
});
