/**
 * The Discord registration of the commands, built from the same definitions the bot runs
 * (src/commands/registry.ts): what deploy-commands.ts bulk-overwrites. Control commands
 * carry default member permissions ManageGuild (first authorization; the router checks
 * operator roles/users again at run time); every command is usable in servers only.
 */
import { ApplicationCommandOptionType, ApplicationCommandType, ChannelType, InteractionContextType, PermissionFlagsBits } from 'discord.js';
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { CommandDefinition, CommandOption } from '../commands/types.js';

function range(option: CommandOption): { min_value?: number; max_value?: number } {
  return {
    ...(option.minValue !== undefined ? { min_value: option.minValue } : {}),
    ...(option.maxValue !== undefined ? { max_value: option.maxValue } : {}),
  };
}

type OptionJson = NonNullable<RESTPostAPIChatInputApplicationCommandsJSONBody['options']>[number];

function optionJson(option: CommandOption): OptionJson {
  const base = { name: option.name, description: option.description, required: option.required };
  switch (option.type) {
    case 'channel':
      return { ...base, type: ApplicationCommandOptionType.Channel, channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement] };
    case 'boolean':
      return { ...base, type: ApplicationCommandOptionType.Boolean };
    case 'integer':
      return { ...base, type: ApplicationCommandOptionType.Integer, ...range(option) };
    case 'number':
      return { ...base, type: ApplicationCommandOptionType.Number, ...range(option) };
    case 'string':
      if (option.autocomplete !== undefined) return { ...base, type: ApplicationCommandOptionType.String, autocomplete: true };
      return {
        ...base,
        type: ApplicationCommandOptionType.String,
        ...(option.choices !== undefined ? { choices: option.choices.map((c) => ({ name: c.name, value: c.value })) } : {}),
      };
  }
}

/** One command as Discord registers it. */
export function registrationOf(command: CommandDefinition): RESTPostAPIChatInputApplicationCommandsJSONBody {
  return {
    type: ApplicationCommandType.ChatInput,
    name: command.name,
    description: command.description,
    options: command.options.map(optionJson),
    // Control commands: hidden from members without Manage Server unless an admin overrides it.
    default_member_permissions: command.permission === 'operator' ? PermissionFlagsBits.ManageGuild.toString() : null,
    contexts: [InteractionContextType.Guild],
  };
}

export function registrationBody(commands: readonly CommandDefinition[]): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return commands.map(registrationOf);
}
