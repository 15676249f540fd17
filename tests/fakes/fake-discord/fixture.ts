/**
 * The fake's test guild and the Discord API objects built from it (users, members,
 * guild, channels, messages). Ids are real-looking snowflakes so discord.js can read a
 * creation time out of them.
 */
import type { FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, JsonObject } from './types.js';

const DISCORD_EPOCH_MS = 1_420_070_400_000n;
let sequence = 0n;

/** A unique snowflake for "now" (timestamp bits + a process-wide increment). */
export function newSnowflake(nowMs: number = Date.now()): string {
  sequence = (sequence + 1n) & 0xfffn;
  return (((BigInt(nowMs) - DISCORD_EPOCH_MS) << 22n) | (1n << 17n) | sequence).toString();
}

/** Permission bits used by the default fixture (Discord's PermissionFlagsBits). */
export const PERMISSION = {
  administrator: 1n << 3n,
  manageGuild: 1n << 5n,
  viewChannel: 1n << 10n,
  sendMessages: 1n << 11n,
  embedLinks: 1n << 14n,
  attachFiles: 1n << 15n,
  useApplicationCommands: 1n << 31n,
} as const;

const everyonePermissions =
  PERMISSION.viewChannel | PERMISSION.sendMessages | PERMISSION.embedLinks | PERMISSION.attachFiles | PERMISSION.useApplicationCommands;

/** Fixed ids of the default guild, so tests can name who does what. */
export const DEFAULT_IDS = {
  applicationId: '900000000000000001',
  botUserId: '900000000000000001',
  guildId: '910000000000000001',
  ownerUserId: '920000000000000001',
  operatorUserId: '920000000000000002',
  viewerUserId: '920000000000000003',
  strangerUserId: '920000000000000004',
  operatorRoleId: '930000000000000002',
  viewerRoleId: '930000000000000003',
  generalChannelId: '940000000000000001',
  reportsChannelId: '940000000000000002',
  mutedChannelId: '940000000000000003',
} as const;

export function defaultBotUser(): FakeUser {
  return { id: DEFAULT_IDS.botUserId, username: 'SelfLearningTrader', bot: true };
}

/**
 * A guild with an owner, an operator (Operator role), a viewer (Viewer role) and a
 * stranger (no role); channels #general, #reports and #muted (the bot may not post there).
 */
export function defaultGuild(bot: FakeUser): FakeGuild {
  const roles: FakeRole[] = [
    { id: DEFAULT_IDS.guildId, name: '@everyone', permissions: everyonePermissions.toString() },
    { id: DEFAULT_IDS.operatorRoleId, name: 'Operator', permissions: (everyonePermissions | PERMISSION.manageGuild).toString() },
    { id: DEFAULT_IDS.viewerRoleId, name: 'Viewer', permissions: everyonePermissions.toString() },
  ];
  const members: FakeMember[] = [
    { user: bot, roleIds: [] },
    { user: { id: DEFAULT_IDS.ownerUserId, username: 'owner' }, roleIds: [] },
    { user: { id: DEFAULT_IDS.operatorUserId, username: 'operator' }, roleIds: [DEFAULT_IDS.operatorRoleId] },
    { user: { id: DEFAULT_IDS.viewerUserId, username: 'viewer' }, roleIds: [DEFAULT_IDS.viewerRoleId] },
    { user: { id: DEFAULT_IDS.strangerUserId, username: 'stranger' }, roleIds: [] },
  ];
  const channels: FakeChannel[] = [
    { id: DEFAULT_IDS.generalChannelId, name: 'general', type: 0 },
    { id: DEFAULT_IDS.reportsChannelId, name: 'reports', type: 0 },
    { id: DEFAULT_IDS.mutedChannelId, name: 'muted', type: 0, botCanSend: false },
  ];
  return { id: DEFAULT_IDS.guildId, name: 'Fake Trading Desk', ownerId: DEFAULT_IDS.ownerUserId, roles, channels, members };
}

export function userPayload(user: FakeUser): JsonObject {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.bot === true ? null : user.username,
    avatar: null,
    bot: user.bot === true,
    flags: 0,
    public_flags: 0,
  };
}

/**
 * The member's permissions as Discord computes them for an interaction: the union of
 * @everyone and the member's roles; the owner and Administrator get everything.
 */
export function memberPermissions(guild: FakeGuild, userId: string, roleIds: readonly string[]): string {
  const all = (1n << 53n) - 1n;
  if (guild.ownerId === userId) return all.toString();
  let bits = 0n;
  for (const role of guild.roles) {
    if (role.id === guild.id || roleIds.includes(role.id)) bits |= BigInt(role.permissions);
  }
  return (bits & PERMISSION.administrator) !== 0n ? all.toString() : bits.toString();
}

export function memberPayload(guild: FakeGuild, user: FakeUser, roleIds: readonly string[], withPermissions: boolean): JsonObject {
  const member: JsonObject = {
    user: userPayload(user),
    roles: [...roleIds],
    nick: null,
    avatar: null,
    joined_at: '2025-01-01T00:00:00.000Z',
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  };
  if (withPermissions) member['permissions'] = memberPermissions(guild, user.id, roleIds);
  return member;
}

export function channelPayload(channel: FakeChannel, guildId: string | null, position = 0): JsonObject {
  const payload: JsonObject = { id: channel.id, type: channel.type, name: channel.name, flags: 0 };
  if (guildId !== null) {
    Object.assign(payload, {
      guild_id: guildId,
      position,
      permission_overwrites: [],
      parent_id: null,
      nsfw: false,
      topic: null,
      last_message_id: null,
      rate_limit_per_user: 0,
    });
  }
  return payload;
}

function rolePayload(role: FakeRole, position: number): JsonObject {
  return {
    id: role.id,
    name: role.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: role.permissions,
    managed: false,
    mentionable: false,
    flags: 0,
  };
}

/** The full GUILD_CREATE payload (roles, channels, members) as the gateway sends it. */
export function guildCreatePayload(guild: FakeGuild): JsonObject {
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    joined_at: '2025-01-01T00:00:00.000Z',
    large: false,
    unavailable: false,
    member_count: guild.members.length,
    roles: guild.roles.map((role, index) => rolePayload(role, index)),
    channels: guild.channels.map((channel, index) => channelPayload(channel, null, index)),
    members: guild.members.map((member) => memberPayload(guild, member.user, member.roleIds, false)),
    threads: [],
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    emojis: [],
    stickers: [],
    soundboard_sounds: [],
  };
}
