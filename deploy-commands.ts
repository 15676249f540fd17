/**
 * `npm run deploy-commands`: registers the slash commands with Discord, built from the same
 * definitions the bot runs (src/commands/registry.ts). With DISCORD_GUILD_ID the server's
 * commands are overwritten (instant); without it the global ones (may take up to an hour).
 * Needs DISCORD_TOKEN; DISCORD_APPLICATION_ID is asked from the API when unset; honours
 * DISCORD_API_BASE. Exit codes: 0 done, 1 Discord refused or was unreachable, 2 bad config.
 */
import 'dotenv/config';
import { commands } from './src/commands/registry.js';
import { loadConfig } from './src/config.js';
import { deployCommands } from './src/discord/deploy.js';
import { ConfigError, describeError } from './src/errors.js';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : describeError(error)}\n`);
    return 2;
  }
  const { token, applicationId, guildId, apiBase } = config.discord;
  if (token === null) {
    process.stderr.write(
      'DISCORD_TOKEN is not set: the bot token from the Discord developer portal (Bot → Reset Token) is needed to register commands.\n',
    );
    return 2;
  }
  try {
    const result = await deployCommands({ token, apiBase, applicationId, guildId, commands });
    const where =
      result.scope === 'guild' ? `server ${guildId ?? ''} (available now)` : 'every server (global; may take up to an hour to appear)';
    process.stdout.write(
      `Registered ${result.names.length} commands for application ${result.applicationId} in ${where}:\n  /${result.names.join('  /')}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(
      `Could not register the commands: ${describeError(error)}\n(Check DISCORD_TOKEN, DISCORD_APPLICATION_ID and DISCORD_GUILD_ID; the bot must be in that server.)\n`,
    );
    return 1;
  }
}

process.exitCode = await main();
