/**
 * Registers the slash commands with Discord (guild when DISCORD_GUILD_ID is set, else global),
 * built from the same definitions the bot uses (src/commands/registry.ts).
 * The Discord transport is being built (README "Status"): nothing is registered yet.
 */
import 'dotenv/config';
import { commands } from './src/commands/registry.js';

process.stderr.write(`The Discord transport is not built in this version yet (README "Status"); the ${commands.length} commands are not registered.\n`);
process.exit(1);
