/**
 * Registers the slash commands with Discord (guild when DISCORD_GUILD_ID is set, else global),
 * built from the same definitions the bot uses (src/commands/registry.ts).
 * Not available yet: the commands arrive with the Discord issue (README "Status").
 */
import 'dotenv/config';
import { commands } from './src/commands/registry.js';

if (commands.length === 0) {
  process.stderr.write('No slash commands are implemented in this version yet (README "Status"); nothing to register.\n');
  process.exit(1);
}
