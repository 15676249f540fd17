/**
 * End to end: the real discord.js client in our bot against the local fake Discord (gateway
 * + REST on 127.0.0.1). Every command's reply, the permission checks (and their audit), the
 * /close confirm → priority-0 closes → fills flow and its expiry, autocomplete, and the
 * notifier posting a daily report with PNG charts and a score-below-70 alert.
 */
import { GatewayIntentBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commands } from '../../src/commands/registry.js';
import { AlertCenter } from '../../src/engine/alerts.js';
import { MemoryStore } from '../../src/db/memory-store.js';
import { DailyReports } from '../../src/reports/service.js';
import { PNG_SIGNATURE, isEphemeral, messageText, type InteractionRecord } from '../fakes/fake-discord/index.js';
import { sampleTrade } from '../db/fixtures.js';
import { pngAttachment } from '../commands/rig.js';
import { startHarness } from './harness.js';

type Harness = Awaited<ReturnType<typeof startHarness>>;

function text(record: InteractionRecord): string {
  return record.original === null ? '' : messageText(record.original);
}

describe('the Discord bot against the fake Discord', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ closeWaitMs: 5_000 });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('logs in with the Guilds intent only', () => {
    expect(h.fake.identifiedIntents()).toBe(GatewayIntentBits.Guilds);
    expect(h.bot.isReady()).toBe(true);
  });

  it('answers every read command with an embed, and every control command privately', async () => {
    await h.rig.openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    h.rig.reports.add('2025-07-31', 82);
    const expected: Record<string, RegExp> = {
      status: /^Status\n.*Paused: no/s,
      positions: /^Positions \(1\)\n.*BTCUSDT LONG 5x/s,
      trades: /^Trades\nNo closed trade yet\./,
      score: /^Model score 82\/100 · grade A/,
      report: /^Daily report 2025-07-31/,
      health: /^Health\n.*Position loop:/s,
      pause: /^Paused\nPaused: no new entries/,
      resume: /^Resumed\nResumed: new entries allowed\./,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      const reply = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name }).id);
      expect(text(reply), name).toMatch(pattern);
      const control = commands.find((c) => c.name === name)?.permission === 'operator';
      expect(isEphemeral(reply.original!), name).toBe(control);
    }
    const mode = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'mode', options: { mode: 'rules' } }).id);
    expect(text(mode)).toBe('Strategy mode\nStrategy mode is now rules (effective: rules).');
    // The report's charts travel as PNG files.
    const report = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'report', options: { date: '2025-07-31' } }).id);
    expect(report.original?.files.map((f) => f.filename)).toEqual(['equity-2025-07-31.png', 'score-history-2025-07-31.png']);
    expect(report.original?.files[0]?.bytes.subarray(0, 8).toString('hex')).toBe(PNG_SIGNATURE.toString('hex'));
  });

  it('defers slow commands first (Discord’s 3 s deadline) and then edits the answer in', async () => {
    const reply = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'status' }).id);
    expect(reply.callback?.type).toBe(5);
    expect(reply.edits).toHaveLength(1);
  });

  it('refuses a control command to a non-operator, privately and plainly, and audits the refusal', async () => {
    const before = h.rig.store.audit.length;
    for (const userId of [h.fake.ids.strangerUserId, h.fake.ids.viewerUserId]) {
      const reply = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'pause', userId }).id);
      expect(text(reply)).toBe('/pause: not allowed\nnot allowed: operators only');
      expect(isEphemeral(reply.original!)).toBe(true);
    }
    expect(h.rig.trader.engineState().paused).toBe(false);
    expect(h.rig.store.audit.slice(before)).toEqual([
      expect.objectContaining({ actor: expect.stringContaining(h.fake.ids.strangerUserId), action: 'pause', result: 'denied' }),
      expect.objectContaining({ actor: expect.stringContaining(h.fake.ids.viewerUserId), action: 'pause', result: 'denied' }),
    ]);
  });

  it('lets viewers read, refuses strangers, and refuses direct messages', async () => {
    const viewer = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'health', userId: h.fake.ids.viewerUserId }).id);
    expect(text(viewer)).toMatch(/^Health/);
    const stranger = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'health', userId: h.fake.ids.strangerUserId }).id);
    expect(text(stranger)).toBe('/health: not allowed\nnot allowed: viewers and operators only');
    const dm = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'status', guildId: null }).id);
    expect(text(dm)).toBe('/status: not allowed\nnot allowed: commands work in the server, not in direct messages');
  });

  it('suggests symbols while an operator types', async () => {
    const reply = await h.fake.waitForInteractionReply(
      h.fake.sendAutocomplete({ name: 'close', options: { target: 'so' }, focused: 'target' }).id,
    );
    expect(reply.callback?.data?.['choices']).toEqual([{ name: 'SOLUSDT', value: 'SOLUSDT' }]);
  });

  it('a bad option comes back as a private error, never silence', async () => {
    const reply = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'trades', options: { day: 'last tuesday' } }).id);
    expect(text(reply)).toBe('/trades: not done\nday must be a date like 2026-11-30, not "last tuesday"');
    expect(isEphemeral(reply.original!)).toBe(true);
  });

  it('/close all: shows the positions, waits for the confirmation, sends the closes and reports the fills', async () => {
    await h.rig.openAdopted('ETHUSDT', 'short', 0.2, 3_800);
    const prompt = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'close', options: { target: 'all' } }).id);
    expect(text(prompt)).toMatch(/^Close all\?\nThis sends market closes \(priority 0\) for 2 positions\. Confirm within 30 s\./);
    expect(isEphemeral(prompt.original!)).toBe(true);
    expect(h.rig.trader.managedPositions().every((p) => p.exitClientOrderId === null)).toBe(true);
    const confirmId = JSON.stringify(prompt.original!.payload['components']).match(/"(confirm:[^"]+)"/)![1]!;

    const press = h.fake.pressButton({ messageId: prompt.original!.id, customId: confirmId });
    // The closes go out at once; the paper venue fills them at the next prices.
    await vi.waitFor(() => expect(h.rig.trader.managedPositions().every((p) => p.exitClientOrderId !== null)).toBe(true), {
      timeout: 5_000,
    });
    await h.rig.nextPrice('BTCUSDT', 115_500);
    await h.rig.nextPrice('ETHUSDT', 3_790);
    h.rig.manual.advance(250);
    const result = await h.fake.waitForInteractionReply(press.id, { until: (r) => r.edits.length > 0 });
    expect(result.callback?.type).toBe(6);
    const final = messageText(result.original!);
    expect(final).toMatch(/^Closed\nClose sent for BTCUSDT, ETHUSDT\./);
    expect(final).toMatch(/BTCUSDT long · [+-][\d.,]+ USDT: filled 0\.01 @ [\d,.]+ \(entry [\d,.]+\) · emergency/);
    expect(result.original!.payload['components']).toEqual([]);
    expect(h.rig.trader.managedPositions()).toEqual([]);
    expect(h.rig.store.audit.at(-1)).toMatchObject({ action: 'emergency_close', detail: 'all', result: 'ok' });
  });

  it('/close expires after 30 s without a confirmation and closes nothing', async () => {
    await h.rig.openAdopted('SOLUSDT', 'long', 5, 180);
    const prompt = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'close', options: { target: 'SOLUSDT' } }).id);
    const confirmId = JSON.stringify(prompt.original!.payload['components']).match(/"(confirm:[^"]+)"/)![1]!;
    h.rig.manual.advance(30_000);
    await vi.waitFor(
      () =>
        expect(messageText(h.fake.interaction(prompt.id).original!)).toMatch(/expired\nNot confirmed within 30 s: nothing was closed\./),
      { timeout: 5_000 },
    );
    expect(h.bot.router.pendingConfirmations()).toBe(0);
    // The button is gone from the message; even a stale press changes nothing.
    expect(h.fake.interaction(prompt.id).original!.payload['components']).toEqual([]);
    expect(confirmId).toMatch(/^confirm:/);
    expect(h.rig.trader.managedPositions().map((p) => [p.symbol, p.exitClientOrderId])).toEqual([['SOLUSDT', null]]);
  });

  it('posts the daily report with its PNG charts and the score-below-70 alert to the subscribed channel', async () => {
    const sub = await h.fake.waitForInteractionReply(
      h.fake.sendCommand({ name: 'subscribe', options: { channel: h.fake.ids.reportsChannelId, kinds: 'reports,alerts' } }).id,
    );
    expect(text(sub)).toBe(`Subscribed\n<#${h.fake.ids.reportsChannelId}> now receives: alerts, reports.`);

    // A losing week: the real report service scores it below 70 and raises the alert.
    const store = new MemoryStore();
    const day = '2025-07-31';
    for (let i = 0; i < 24; i++) {
      const closedAt = Date.parse(`${day}T00:00:00Z`) - (i % 5) * 86_400_000 + 3_600_000 + i * 60_000;
      await store.putTrade(sampleTrade(i, { closedAt, openedAt: closedAt - 1_800_000, pnlUsdt: i % 4 === 0 ? 4 : -6, exploration: false }));
    }
    const alerts = new AlertCenter({ notifier: h.outbox, clock: h.rig.clock });
    const reports = new DailyReports({
      store,
      archive: store.dailyReports,
      clock: h.rig.clock,
      logger: h.logger,
      notifier: h.outbox,
      alerts,
      equity: async () => ({ usdt: 1_000, source: 'venue' }),
      fallbackEquityUsdt: 1_000,
      engine: { grade: () => 'B', applyGrade: async () => undefined },
      charts: async (report) => [pngAttachment(`equity-${report.day}.png`), pngAttachment(`score-${report.day}.png`)],
      attachCharts: true,
      dir: null,
      windowDays: 7,
      minTrades: 20,
      gradeSSizeMultiplier: 1.2,
    });
    const card = await reports.generate(day, { apply: true, alert: true });
    expect(card.score.score).toBeLessThan(70);

    const channel = h.fake.ids.reportsChannelId;
    const post = await h.fake.waitForChannelMessage(channel, { where: (m) => m.files.length > 0 });
    expect(messageText(post)).toContain(`Model report ${day}: ${card.score.score}/100 · grade C`);
    expect(post.files.map((f) => f.filename)).toEqual([`equity-${day}.png`, `score-${day}.png`]);
    for (const file of post.files) expect(file.bytes.subarray(0, 8).toString('hex')).toBe(PNG_SIGNATURE.toString('hex'));
    const alert = await h.fake.waitForChannelMessage(channel, { where: (m) => /below 70/i.test(messageText(m)) });
    expect(messageText(alert)).toContain(String(card.score.score));
  });

  it('skips a channel it may not post to and keeps delivering to the others', async () => {
    await h.rig.subscriptions.add(h.fake.ids.mutedChannelId, ['trades']);
    await h.rig.subscriptions.add(h.fake.ids.generalChannelId, ['trades']);
    h.outbox.notify({
      kind: 'trade',
      key: 'trade:x1',
      severity: 'info',
      title: 'BTCUSDT long closed +3.20 USDT',
      lines: ['tp'],
      at: h.rig.clock.now(),
    });
    const post = await h.fake.waitForChannelMessage(h.fake.ids.generalChannelId, {
      where: (m) => messageText(m).startsWith('BTCUSDT long closed'),
    });
    expect(messageText(post)).toContain('+3.20 USDT');
    await vi.waitFor(() => expect(h.outbox.stats().queued).toBe(0));
  });
});

describe('confirmation buttons in a public reply', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ publicControlReplies: true, closeWaitMs: 0 });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('refuses anyone but the requesting operator, privately, and audits the attempt', async () => {
    await h.rig.openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    const prompt = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'close', options: { target: 'BTCUSDT' } }).id);
    expect(isEphemeral(prompt.original!)).toBe(false);
    const confirmId = JSON.stringify(prompt.original!.payload['components']).match(/"(confirm:[^"]+)"/)![1]!;
    for (const userId of [h.fake.ids.strangerUserId, h.fake.ids.ownerUserId]) {
      const refused = await h.fake.waitForInteractionReply(
        h.fake.pressButton({ messageId: prompt.original!.id, customId: confirmId, userId }).id,
      );
      expect(text(refused)).toBe(`/close: not allowed\nnot allowed: only <@${h.fake.ids.operatorUserId}>, who asked, can confirm this`);
      expect(isEphemeral(refused.original!)).toBe(true);
    }
    expect(h.rig.trader.managedPositions()[0]?.exitClientOrderId).toBeNull();
    expect(h.rig.store.audit.filter((a) => a.action === 'close_confirm').map((a) => a.result)).toEqual(['denied', 'denied']);

    const cancel = confirmId.replace('confirm:', 'cancel:');
    const cancelled = await h.fake.waitForInteractionReply(h.fake.pressButton({ messageId: prompt.original!.id, customId: cancel }).id);
    expect(text(cancelled)).toBe('/close: cancelled\nCancelled: nothing was done.');
    expect(h.rig.trader.managedPositions()[0]?.exitClientOrderId).toBeNull();
  });
});
