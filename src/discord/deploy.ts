/**
 * Registering the slash commands: one bulk overwrite, of the server's commands when a guild
 * id is given (instant) or the global ones otherwise (Discord may take up to an hour to show
 * them). The application id comes from the configuration or, when unset, from the API.
 */
import { REST, Routes } from 'discord.js';
import type { CommandDefinition } from '../commands/types.js';
import { registrationBody } from './registration.js';

export interface DeployOptions {
  readonly token: string;
  readonly apiBase: string;
  readonly applicationId: string | null;
  readonly guildId: string | null;
  readonly commands: readonly CommandDefinition[];
}

export interface DeployResult {
  readonly applicationId: string;
  readonly scope: 'guild' | 'global';
  readonly names: readonly string[];
}

export async function deployCommands(options: DeployOptions): Promise<DeployResult> {
  const rest = new REST({ api: options.apiBase }).setToken(options.token);
  const applicationId = options.applicationId ?? ((await rest.get(Routes.currentApplication())) as { id: string }).id;
  const route =
    options.guildId === null ? Routes.applicationCommands(applicationId) : Routes.applicationGuildCommands(applicationId, options.guildId);
  const registered = (await rest.put(route, { body: registrationBody(options.commands) })) as { name: string }[];
  return { applicationId, scope: options.guildId === null ? 'global' : 'guild', names: registered.map((c) => c.name) };
}
