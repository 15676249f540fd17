/**
 * `npm run deploy-commands` as a user runs it (one node process), against the fake Discord:
 * it registers exactly the defined commands, on the server or globally, with the operator
 * commands behind Manage Server, and says clearly what is wrong when it cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/commands/registry.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord/index.js';
import { spawnTs } from '../helpers/process.js';

async function deploy(env: Record<string, string>) {
  const run = spawnTs('deploy-commands.ts', env);
  const code = await run.exited;
  return { code, stdout: run.stdout, stderr: run.stderr };
}

describe('deploy-commands', () => {
  let fake: FakeDiscord;

  beforeAll(async () => {
    fake = await startFakeDiscord();
  });

  afterAll(async () => {
    await fake?.close();
  });

  it('bulk-overwrites the server’s commands with exactly the defined ones, asking the API for the application id', async () => {
    const run = await deploy({ DISCORD_TOKEN: fake.token, DISCORD_API_BASE: fake.apiBase, DISCORD_GUILD_ID: fake.ids.guildId });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `Registered 12 commands for application ${fake.applicationId} in server ${fake.ids.guildId} (available now)`,
    );
    const registered = fake.registeredCommands(fake.ids.guildId);
    expect(registered.map((c) => c.name)).toEqual(commands.map((c) => c.name));
    for (const command of commands) {
      const r = registered.find((x) => x.name === command.name)!;
      expect(r.description).toBe(command.description);
      expect(r.defaultMemberPermissions).toBe(command.permission === 'operator' ? '32' : null);
      expect(r.options.map((o) => o['name'])).toEqual(command.options.map((o) => o.name));
      expect(r.raw['contexts']).toEqual([0]);
    }
    const close = registered.find((c) => c.name === 'close')!;
    expect(close.options[0]).toMatchObject({ name: 'target', type: 3, required: true, autocomplete: true });
    expect(registered.find((c) => c.name === 'mode')!.options[0]).toMatchObject({
      choices: [
        { name: 'rules', value: 'rules' },
        { name: 'self_learning', value: 'self_learning' },
      ],
    });
    expect(fake.registeredCommands(null)).toEqual([]);
  });

  it('registers globally without DISCORD_GUILD_ID, with the configured application id', async () => {
    const run = await deploy({ DISCORD_TOKEN: fake.token, DISCORD_API_BASE: fake.apiBase, DISCORD_APPLICATION_ID: fake.applicationId });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('every server (global; may take up to an hour to appear)');
    expect(fake.registeredCommands(null).map((c) => c.name)).toEqual(commands.map((c) => c.name));
  });

  it('says what is missing without a token (exit 2) and what Discord refused with a wrong one (exit 1)', async () => {
    const missing = await deploy({ DISCORD_API_BASE: fake.apiBase });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^DISCORD_TOKEN is not set/);
    const wrong = await deploy({
      DISCORD_TOKEN: 'not-the-token-of-this-bot-at-all',
      DISCORD_API_BASE: fake.apiBase,
      DISCORD_GUILD_ID: fake.ids.guildId,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^Could not register the commands: .*401/);
  });
});
