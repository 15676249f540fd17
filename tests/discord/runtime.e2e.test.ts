/**
 * `npm start` with DISCORD_TOKEN, in process (startBot, the composition root): the bot logs
 * in to the fake Discord once trading runs and answers from the running engine; with a
 * wrong token, trading runs anyway and the failure is logged loudly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { commands } from '../../src/commands/registry.js';
import { loadConfig } from '../../src/config.js';
import { deployCommands } from '../../src/discord/deploy.js';
import { startBot } from '../../src/runtime.js';
import { messageText, startFakeDiscord } from '../fakes/fake-discord/index.js';
import { RecordingLogger } from '../db/fixtures.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'slt-discord-'));
  dirs.push(dir);
  return {
    TRADING_MODE: 'paper',
    MARKET_DATA: 'replay',
    REPLAY_SPEED: '600',
    STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

describe('npm start with Discord', () => {
  it('answers /status from the running engine, through the real client', async () => {
    const fake = await startFakeDiscord();
    await deployCommands({ token: fake.token, apiBase: fake.apiBase, applicationId: null, guildId: fake.ids.guildId, commands });
    const logger = new RecordingLogger();
    const bot = await startBot(
      loadConfig(env({ DISCORD_TOKEN: fake.token, DISCORD_API_BASE: fake.apiBase, OPERATOR_ROLE_IDS: fake.ids.operatorRoleId })),
      logger,
    );
    try {
      await fake.waitForLogin({ timeoutMs: 30_000 });
      await vi.waitFor(() => expect(logger.messages('info').some((m) => m.startsWith('connected to Discord as'))).toBe(true), {
        timeout: 10_000,
      });
      const reply = await fake.waitForInteractionReply(fake.sendCommand({ name: 'status' }).id, { timeoutMs: 15_000 });
      expect(messageText(reply.original!)).toMatch(/^Status\n.*Mode: paper · data replay/s);
      const refused = await fake.waitForInteractionReply(fake.sendCommand({ name: 'pause', userId: fake.ids.strangerUserId }).id);
      expect(messageText(refused.original!)).toBe('/pause: not allowed\nnot allowed: operators only');
    } finally {
      await bot.stop('test');
      await fake.close();
    }
  }, 60_000);

  it('keeps trading with a wrong token, logging the failure loudly', async () => {
    const fake = await startFakeDiscord();
    const logger = new RecordingLogger();
    const bot = await startBot(
      loadConfig(env({ DISCORD_TOKEN: 'a-wrong-token-for-this-fake-discord', DISCORD_API_BASE: fake.apiBase })),
      logger,
    );
    try {
      await vi.waitFor(() => expect(logger.messages('error').some((m) => m.startsWith('Discord login failed (attempt 1)'))).toBe(true), {
        timeout: 30_000,
      });
      await vi.waitFor(() => expect(bot.control).not.toBeNull(), { timeout: 30_000 });
      const status = await bot.control!.status();
      expect(status.tradingMode).toBe('paper');
      // Trading did not stop: the process has not finished, and Discord is retried.
      const finished = await Promise.race([bot.finished, new Promise<null>((resolve) => setTimeout(() => resolve(null), 500))]);
      expect(finished).toBeNull();
      expect(logger.messages('error').some((m) => m.startsWith('trading could not start'))).toBe(false);
    } finally {
      await bot.stop('test');
      await fake.close();
    }
  }, 60_000);
});
