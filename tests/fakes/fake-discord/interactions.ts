/**
 * INTERACTION_CREATE payloads as Discord sends them: a slash command (with typed options
 * and the `resolved` users/channels/roles), an autocomplete request (one focused option)
 * and a button press on a stored message; in a guild (a member with roles and computed
 * permissions) or in a DM (a user, no guild).
 */
import { channelPayload, memberPayload, newSnowflake, userPayload } from './fixture.js';
import type { DiscordState } from './state.js';
import type { FakeUser, Json, JsonObject, RegisteredCommand } from './types.js';

/** An option value; give `{ type, value }` for types the fake cannot infer (6 user, 7 channel, 8 role, 9 mentionable, 10 number). */
export type OptionValue = string | number | boolean | { readonly type: number; readonly value: string | number | boolean };

export interface InteractionActor {
  /** Default: the fixture's operator. A user not in the guild gets no roles. */
  readonly userId?: string;
  /** Default: the member's roles in the fixture guild. */
  readonly roleIds?: readonly string[];
  /** Default: the fixture guild; null sends it from a DM with the bot. */
  readonly guildId?: string | null;
  /** Default: #general in a guild, the DM channel otherwise. */
  readonly channelId?: string;
  /** Override the member's computed permissions (decimal bit string). */
  readonly permissions?: string;
  readonly locale?: string;
}

export interface CommandInput extends InteractionActor {
  readonly name: string;
  /** Option values by name, or raw Discord option objects. */
  readonly options?: Readonly<Record<string, OptionValue>> | readonly JsonObject[];
  readonly subcommand?: string;
  readonly subcommandGroup?: string;
}

export interface AutocompleteInput extends CommandInput {
  /** The option being typed (its value is the partial text). */
  readonly focused: string;
}

export interface ButtonInput extends InteractionActor {
  readonly messageId: string;
  readonly customId: string;
}

const ALL_PERMISSIONS = ((1n << 53n) - 1n).toString();

interface Built {
  readonly payload: JsonObject;
  readonly userId: string;
  readonly guildId: string | null;
  readonly channelId: string;
}

function actorUser(state: DiscordState, userId: string): FakeUser {
  return state.guild.members.find((m) => m.user.id === userId)?.user ?? { id: userId, username: `user-${userId.slice(-4)}` };
}

/** The envelope every interaction shares (who, where, permissions, locale). */
export function baseInteraction(state: DiscordState, type: number, actor: InteractionActor, defaultUserId: string): Built {
  const userId = actor.userId ?? defaultUserId;
  const user = actorUser(state, userId);
  const guildId = actor.guildId === undefined ? state.guild.id : actor.guildId;
  const id = newSnowflake();
  const payload: JsonObject = {
    id,
    application_id: state.applicationId,
    type,
    token: `fake-interaction-token-${id}`,
    version: 1,
    app_permissions: ALL_PERMISSIONS,
    locale: actor.locale ?? 'en-US',
    entitlements: [],
    attachment_size_limit: 26_214_400,
  };
  let channelId: string;
  if (guildId === null) {
    const dm = state.dmChannelFor(user);
    channelId = actor.channelId ?? dm.channel.id;
    Object.assign(payload, {
      user: userPayload(user),
      channel: state.channelPayload(dm),
      channel_id: channelId,
      context: 1,
      authorizing_integration_owners: { '0': state.guild.id },
    });
  } else {
    if (guildId !== state.guild.id) throw new Error(`fake Discord: unknown guild ${guildId} (the fake has ${state.guild.id})`);
    channelId = actor.channelId ?? state.guild.channels.find((c) => c.type === 0)?.id ?? '';
    const stored = state.channels.get(channelId);
    if (stored === undefined) throw new Error(`fake Discord: unknown channel ${channelId}`);
    const roleIds = actor.roleIds ?? state.guild.members.find((m) => m.user.id === userId)?.roleIds ?? [];
    const member = memberPayload(state.guild, user, roleIds, true);
    if (actor.permissions !== undefined) member['permissions'] = actor.permissions;
    Object.assign(payload, {
      guild_id: guildId,
      guild: { id: guildId, locale: 'en-US', features: [] },
      guild_locale: 'en-US',
      member,
      channel: channelPayload(stored.channel, guildId),
      channel_id: channelId,
      context: 0,
      authorizing_integration_owners: { '0': guildId },
    });
  }
  return { payload, userId, guildId, channelId };
}

function findCommand(state: DiscordState, name: string, guildId: string | null): RegisteredCommand | undefined {
  const commands = state.commands.filter((c) => c.name === name && (c.type === 1 || c.type === undefined));
  return commands.find((c) => c.guildId !== null && c.guildId === guildId) ?? commands.find((c) => c.guildId === null);
}

function optionDefinitions(command: RegisteredCommand | undefined, group?: string, sub?: string): readonly JsonObject[] {
  let defs: readonly JsonObject[] = command?.options ?? [];
  for (const name of [group, sub]) {
    if (name === undefined) continue;
    const found = defs.find((d) => d['name'] === name);
    defs = Array.isArray(found?.['options']) ? (found['options'] as JsonObject[]) : [];
  }
  return defs;
}

function inferType(value: string | number | boolean): number {
  if (typeof value === 'boolean') return 5;
  if (typeof value === 'number') return Number.isInteger(value) ? 4 : 10;
  return 3;
}

function resolvedEntry(state: DiscordState, resolved: Record<string, JsonObject>, type: number, value: string): void {
  const guild = state.guild;
  const add = (kind: string, entryId: string, entry: JsonObject): void => {
    resolved[kind] = { ...(resolved[kind] ?? {}), [entryId]: entry };
  };
  if (type === 6 || type === 9) {
    const member = guild.members.find((m) => m.user.id === value);
    if (member) {
      add('users', value, userPayload(member.user));
      const { user: _user, ...rest } = memberPayload(guild, member.user, member.roleIds, true);
      add('members', value, rest);
      return;
    }
  }
  if (type === 7) {
    const stored = state.channels.get(value);
    if (stored === undefined) throw new Error(`fake Discord: channel option ${value} is not a channel of the fake`);
    add('channels', value, { ...state.channelPayload(stored), permissions: ALL_PERMISSIONS });
    return;
  }
  if (type === 8 || type === 9) {
    const role = guild.roles.find((r) => r.id === value);
    if (role === undefined) throw new Error(`fake Discord: role option ${value} is not a role of the fake`);
    add('roles', value, {
      id: role.id,
      name: role.name,
      permissions: role.permissions,
      position: 0,
      color: 0,
      hoist: false,
      managed: false,
      mentionable: false,
      flags: 0,
    });
  }
}

/** The `data` of an application command (or autocomplete) interaction. */
export function commandData(state: DiscordState, input: CommandInput, guildId: string | null, focused: string | null): JsonObject {
  const command = findCommand(state, input.name, guildId);
  const defs = optionDefinitions(command, input.subcommandGroup, input.subcommand);
  const resolved: Record<string, JsonObject> = {};
  let options: JsonObject[];
  if (Array.isArray(input.options)) {
    options = input.options as JsonObject[];
  } else {
    options = Object.entries((input.options ?? {}) as Record<string, OptionValue>).map(([name, given]) => {
      const raw = typeof given === 'object' ? given.value : given;
      const declared = defs.find((d) => d['name'] === name)?.['type'];
      const type = typeof given === 'object' ? given.type : typeof declared === 'number' ? declared : inferType(raw);
      if (command !== undefined && declared === undefined) {
        throw new Error(
          `fake Discord: /${input.name} has no option "${name}" (registered: ${defs.map((d) => String(d['name'])).join(', ') || 'none'})`,
        );
      }
      const value: Json = type === 4 || type === 10 ? Number(raw) : type === 5 ? raw === true || raw === 'true' : raw;
      if (type >= 6 && type <= 9) resolvedEntry(state, resolved, type, String(raw));
      const option: JsonObject = { name, type, value: name === focused ? String(raw) : value };
      if (name === focused) option['focused'] = true;
      return option;
    });
  }
  if (input.subcommand !== undefined) options = [{ name: input.subcommand, type: 1, options }];
  if (input.subcommandGroup !== undefined) options = [{ name: input.subcommandGroup, type: 2, options }];
  const data: JsonObject = { id: command?.id ?? newSnowflake(), name: input.name, type: 1, options };
  if (command?.guildId) data['guild_id'] = command.guildId;
  if (Object.keys(resolved).length > 0) data['resolved'] = resolved;
  return data;
}

/** Finds a component by custom_id anywhere in a message's component tree. */
export function findComponent(components: Json | undefined, customId: string): JsonObject | null {
  if (!Array.isArray(components)) return null;
  for (const component of components) {
    if (typeof component !== 'object' || component === null || Array.isArray(component)) continue;
    if (component['custom_id'] === customId) return component;
    const inner = findComponent(component['components'], customId);
    if (inner !== null) return inner;
  }
  return null;
}
