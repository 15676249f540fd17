/**
 * Discord trouble never stops trading: the position loop keeps ticking while the fake
 * gateway drops the connection (and refuses to reconnect for a while), the bot comes back
 * and answers; a wrong token is logged loudly and retried while the engine runs on.
 */
import { describe, expect, it, vi } from 'vitest';
import { SystemClock } from '../../src/adapters/clock.js';
import { commands } from '../../src/commands/registry.js';
import { DiscordBot } from '../../src/discord/bot.js';
import { startFakeDiscord } from '../fakes/fake-discord/index.js';
import { RecordingLogger } from '../db/fixtures.js';
import { commandRig } from '../commands/rig.js';
import { startHarness } from './harness.js';

describe('Discord outages and the engine', () => {
  it('keeps the position loop ticking while the gateway is down, then answers again', async () => {
    const h = await startHarness({ clock: new SystemClock() });
    try {
      await h.rig.openAdopted('BTCUSDT', 'long', 0.01, 115_000);
      const controller = h.rig.controller;
      controller.start();
      const before = controller.stats().ticks;
      const eventsBefore = h.fake.gatewayEvents().length;
      h.fake.dropGateway({ refuseMs: 8_000 });
      // The bot tries to reconnect and is refused: Discord is down for it.
      await vi.waitFor(
        () =>
          expect(
            h.fake
              .gatewayEvents()
              .slice(eventsBefore)
              .some((e) => e.kind === 'refused'),
          ).toBe(true),
        { timeout: 10_000 },
      );
      // While Discord is unreachable the loop goes on (positions still managed).
      await vi.waitFor(() => expect(controller.stats().ticks).toBeGreaterThan(before + 1), { timeout: 10_000 });
      const reconnectedAt = h.fake
        .gatewayEvents()
        .slice(eventsBefore)
        .findIndex((e) => e.kind === 'resume' || e.kind === 'ready');
      expect(reconnectedAt).toBe(-1);
      await h.fake.waitForReconnect({ timeoutMs: 20_000 });
      expect(controller.stats().failedTicks).toBe(0);
      const reply = await h.fake.waitForInteractionReply(h.fake.sendCommand({ name: 'positions' }).id);
      expect(reply.original?.payload['embeds']).toBeDefined();
      await controller.stop();
    } finally {
      await h.stop();
    }
  }, 30_000);

  it('logs a wrong token loudly and keeps retrying while the engine keeps ticking', async () => {
    const fake = await startFakeDiscord();
    const rig = commandRig({ clock: new SystemClock() });
    const logger = new RecordingLogger();
    const bot = new DiscordBot({
      token: 'definitely-not-the-right-token-0000',
      apiBase: fake.apiBase,
      control: () => rig.control,
      commands,
      access: { operatorUserIds: [], operatorRoleIds: [fake.ids.operatorRoleId], viewerRoleIds: [] },
      publicControlReplies: false,
      logger,
      clock: rig.clock,
      loginRetryMs: 100,
      loginRetryMaxMs: 200,
    });
    try {
      rig.controller.start();
      bot.start();
      await vi.waitFor(() => expect(bot.loginAttempts).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
      const errors = logger.messages('error').filter((m) => m.startsWith('Discord login failed'));
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors[0]).toMatch(/Trading continues without Discord; retrying in \d+ s\. Check DISCORD_TOKEN and DISCORD_API_BASE\./);
      expect(bot.isReady()).toBe(false);
      await vi.waitFor(() => expect(rig.controller.stats().ticks).toBeGreaterThan(0), { timeout: 5_000 });
    } finally {
      await bot.stop();
      await rig.controller.stop();
      await fake.close();
    }
  }, 30_000);
});
