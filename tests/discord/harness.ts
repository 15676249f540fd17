/**
 * A bot (the real discord.js client, our router and outbox) against the local fake Discord,
 * over a command rig (real Control, paper venue, ManualClock). Commands are registered with
 * deploy-commands' own function first, so the fake knows their option types.
 */
import { commands } from '../../src/commands/registry.js';
import { DiscordBot } from '../../src/discord/bot.js';
import { deployCommands } from '../../src/discord/deploy.js';
import { Outbox } from '../../src/discord/outbox.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord/index.js';
import { RecordingLogger } from '../db/fixtures.js';
import { commandRig, type RigOptions } from '../commands/rig.js';

export interface HarnessOptions extends RigOptions {
  readonly publicControlReplies?: boolean;
  readonly viewerRoles?: boolean;
  readonly fake?: FakeDiscord;
}

export async function startHarness(options: HarnessOptions = {}) {
  const fake = options.fake ?? (await startFakeDiscord());
  const rig = commandRig(options);
  const logger = new RecordingLogger();
  await deployCommands({ token: fake.token, apiBase: fake.apiBase, applicationId: null, guildId: fake.ids.guildId, commands });
  const bot = new DiscordBot({
    token: fake.token,
    apiBase: fake.apiBase,
    control: () => rig.control,
    commands,
    access: {
      operatorUserIds: [],
      operatorRoleIds: [fake.ids.operatorRoleId],
      viewerRoleIds: options.viewerRoles === false ? [] : [fake.ids.viewerRoleId],
    },
    publicControlReplies: options.publicControlReplies ?? false,
    logger,
    clock: rig.clock,
    loginRetryMs: 200,
  });
  const outbox = new Outbox({
    clock: rig.clock,
    delivery: bot.delivery(rig.subscriptions),
    persistence: null,
    logger,
    initialBackoffMs: 100,
  });
  bot.start();
  await bot.whenReady();
  await outbox.start();
  return {
    fake,
    rig,
    bot,
    outbox,
    logger,
    async stop(): Promise<void> {
      await outbox.stop();
      await bot.stop();
      if (options.fake === undefined) await fake.close();
    },
  };
}
