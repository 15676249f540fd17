/**
 * The fake's REST API (`{apiBase}/v10/...`): the routes discord.js calls at login and
 * while answering interactions, posting to channels and registering commands. Error
 * bodies and codes are Discord's (10003 Unknown Channel, 10008 Unknown Message, 10015
 * Unknown Webhook, 10062 Unknown Interaction, 40060 already acknowledged, 50001 Missing
 * Access, 50035 Invalid Form Body). Bot routes need `Authorization: Bot <token>`;
 * interaction callbacks and webhooks are authenticated by their token in the path.
 */
import { userPayload, memberPayload, guildCreatePayload, newSnowflake } from './fixture.js';
import { discordError } from './http-body.js';
import { FLAG_EPHEMERAL, FLAG_LOADING, type DiscordState, type StoredChannel } from './state.js';
import { autocompleteProblems, commandListProblems, commandProblems, messageProblems } from './validate.js';
import type { InteractionRecord, Json, JsonObject, ReceivedFile, RegisteredCommand, StoredMessage } from './types.js';

export interface RestRequest {
  readonly method: string;
  readonly route: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Json;
  readonly files: readonly ReceivedFile[];
  readonly authorization: string | null;
}

export interface RestResponse {
  readonly status: number;
  readonly body: Json | undefined;
  readonly headers?: Record<string, string>;
}

export interface RestContext {
  readonly state: DiscordState;
  readonly token: string;
  readonly gatewayUrl: () => string;
  /** After this long without a callback, an interaction is unknown (Discord: 3 s); null = never. */
  readonly callbackDeadlineMs: number | null;
}

const ok = (body: Json): RestResponse => ({ status: 200, body });
const noContent: RestResponse = { status: 204, body: undefined };
const fail = (status: number, code: number, message: string, errors?: Json): RestResponse => ({
  status,
  body: discordError(code, message, errors),
});
const invalidForm = (problems: string[]): RestResponse => fail(400, 50035, 'Invalid Form Body', { _problems: problems });

function asObject(body: Json): JsonObject {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
}

type Handler = (ctx: RestContext, req: RestRequest, params: string[]) => RestResponse;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly bot: boolean;
  readonly handle: Handler;
}

const SNOW = '(\\d+)';
const routes: Route[] = [];
function route(method: string, path: string, bot: boolean, handle: Handler): void {
  routes.push({ method, pattern: new RegExp(`^${path.replaceAll(':id', SNOW).replaceAll(':token', '([^/]+)')}$`), bot, handle });
}

export function handleRest(ctx: RestContext, req: RestRequest): RestResponse {
  for (const r of routes) {
    if (r.method !== req.method) continue;
    const match = r.pattern.exec(req.route);
    if (match === null) continue;
    if (r.bot && req.authorization !== `Bot ${ctx.token}`) return fail(401, 0, '401: Unauthorized');
    return r.handle(ctx, req, match.slice(1));
  }
  return fail(404, 0, `404: Not Found (the fake Discord has no ${req.method} ${req.route})`);
}

// --- login, users, guilds --------------------------------------------------------------

route('GET', '/gateway/bot', true, (ctx) =>
  ok({
    url: ctx.gatewayUrl(),
    shards: 1,
    session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
  }),
);
route('GET', '/gateway', false, (ctx) => ok({ url: ctx.gatewayUrl() }));
route('GET', '/users/@me', true, (ctx) => ok({ ...userPayload(ctx.state.bot), verified: true, mfa_enabled: false }));

function applicationPayload(ctx: RestContext): JsonObject {
  return {
    id: ctx.state.applicationId,
    name: ctx.state.bot.username,
    icon: null,
    description: '',
    bot_public: false,
    bot_require_code_grant: false,
    verify_key: '0'.repeat(64),
    flags: 0,
    bot: userPayload(ctx.state.bot),
    owner: userPayload({ id: ctx.state.guild.ownerId, username: 'owner' }),
    team: null,
  };
}
route('GET', '/applications/@me', true, (ctx) => ok(applicationPayload(ctx)));
route('GET', '/oauth2/applications/@me', true, (ctx) => ok(applicationPayload(ctx)));

route('GET', '/users/:id', true, (ctx, _req, [userId]) => {
  const member = ctx.state.guild.members.find((m) => m.user.id === userId);
  return member ? ok(userPayload(member.user)) : fail(404, 10013, 'Unknown User');
});
route('GET', '/guilds/:id', true, (ctx, _req, [guildId]) => {
  if (guildId !== ctx.state.guild.id) return fail(404, 10004, 'Unknown Guild');
  const { channels: _channels, members: _members, ...guild } = guildCreatePayload(ctx.state.guild);
  return ok(guild);
});
route('GET', '/guilds/:id/roles', true, (ctx, _req, [guildId]) =>
  guildId === ctx.state.guild.id ? ok(guildCreatePayload(ctx.state.guild)['roles'] ?? []) : fail(404, 10004, 'Unknown Guild'),
);
route('GET', '/guilds/:id/channels', true, (ctx, _req, [guildId]) => {
  if (guildId !== ctx.state.guild.id) return fail(404, 10004, 'Unknown Guild');
  return ok([...ctx.state.channels.values()].filter((c) => c.guildId === guildId).map((c) => ctx.state.channelPayload(c)));
});
route('GET', '/guilds/:id/members/:id', true, (ctx, _req, [guildId, userId]) => {
  const guild = ctx.state.guild;
  const member = guildId === guild.id ? guild.members.find((m) => m.user.id === userId) : undefined;
  return member ? ok(memberPayload(guild, member.user, member.roleIds, false)) : fail(404, 10007, 'Unknown Member');
});

// --- channels and their messages --------------------------------------------------------

function channelOr404(ctx: RestContext, channelId: string | undefined): StoredChannel | RestResponse {
  const stored = channelId === undefined ? undefined : ctx.state.channels.get(channelId);
  return stored ?? fail(404, 10003, 'Unknown Channel');
}

function messageIn(stored: StoredChannel, messageId: string | undefined): StoredMessage | RestResponse {
  return stored.messages.find((m) => m.id === messageId && m.visibleTo === null) ?? fail(404, 10008, 'Unknown Message');
}

route('GET', '/channels/:id', true, (ctx, _req, [channelId]) => {
  const stored = channelOr404(ctx, channelId);
  return 'status' in stored ? stored : ok(ctx.state.channelPayload(stored));
});
route('POST', '/users/@me/channels', true, (ctx, req) => {
  const recipientId = asObject(req.body)['recipient_id'];
  const member = ctx.state.guild.members.find((m) => m.user.id === recipientId);
  if (member === undefined) return fail(400, 50007, 'Cannot send messages to this user');
  return ok(ctx.state.channelPayload(ctx.state.dmChannelFor(member.user)));
});
route('GET', '/channels/:id/messages', true, (ctx, req, [channelId]) => {
  const stored = channelOr404(ctx, channelId);
  if ('status' in stored) return stored;
  const limit = Math.min(100, Number(req.query['limit'] ?? 50));
  return ok(
    stored.messages
      .filter((m) => m.visibleTo === null)
      .slice(-limit)
      .reverse()
      .map((m) => m.payload),
  );
});
route('POST', '/channels/:id/messages', true, (ctx, req, [channelId]) => {
  const stored = channelOr404(ctx, channelId);
  if ('status' in stored) return stored;
  if (stored.channel.botCanSend === false || (stored.channel.type !== 0 && stored.channel.type !== 1)) {
    return fail(403, 50001, 'Missing Access');
  }
  const problems = messageProblems(req.body, req.files.length, true);
  if (problems.length > 0) return invalidForm(problems);
  return ok(ctx.state.createMessage(stored.channel.id, asObject(req.body), req.files, { interaction: null, extraFlags: 0 }).payload);
});
route('GET', '/channels/:id/messages/:id', true, (ctx, _req, [channelId, messageId]) => {
  const stored = channelOr404(ctx, channelId);
  if ('status' in stored) return stored;
  const message = messageIn(stored, messageId);
  return 'status' in message ? message : ok(message.payload);
});
route('PATCH', '/channels/:id/messages/:id', true, (ctx, req, [channelId, messageId]) => {
  const stored = channelOr404(ctx, channelId);
  if ('status' in stored) return stored;
  const message = messageIn(stored, messageId);
  if ('status' in message) return message;
  const problems = messageProblems(req.body, req.files.length, false);
  if (problems.length > 0) return invalidForm(problems);
  ctx.state.editMessage(message, asObject(req.body), req.files);
  return ok(message.payload);
});
route('DELETE', '/channels/:id/messages/:id', true, (ctx, _req, [channelId, messageId]) => {
  const stored = channelOr404(ctx, channelId);
  if ('status' in stored) return stored;
  const message = messageIn(stored, messageId);
  if ('status' in message) return message;
  ctx.state.deleteMessage(message);
  return noContent;
});

// --- interactions ----------------------------------------------------------------------

/** Which callback types Discord accepts for each interaction type. */
const CALLBACKS_FOR: Record<number, readonly number[]> = { 2: [4, 5, 9], 3: [4, 5, 6, 7, 9], 4: [8], 5: [4, 5, 6, 7] };

function reject(record: InteractionRecord, route: string, response: RestResponse): RestResponse {
  const body = asObject(response.body ?? null);
  record.rejected.push({ route, code: Number(body['code'] ?? 0), message: String(body['message'] ?? '') });
  return response;
}

route('POST', '/interactions/:id/:token/callback', false, (ctx, req, [interactionId, token]) => {
  const state = ctx.state;
  const record = interactionId === undefined ? undefined : state.interactions.get(interactionId);
  if (record === undefined) return fail(404, 10062, 'Unknown interaction');
  if (record.token !== token) return reject(record, 'callback', fail(401, 50027, 'Invalid Webhook Token'));
  if (ctx.callbackDeadlineMs !== null && Date.now() - record.injectedAt > ctx.callbackDeadlineMs) {
    state.changed();
    return reject(record, 'callback', fail(404, 10062, 'Unknown interaction'));
  }
  if (record.callback !== null) {
    state.changed();
    return reject(record, 'callback', fail(400, 40060, 'Interaction has already been acknowledged.'));
  }
  const body = asObject(req.body);
  const type = typeof body['type'] === 'number' ? body['type'] : -1;
  const data = typeof body['data'] === 'object' && body['data'] !== null && !Array.isArray(body['data']) ? body['data'] : null;
  if (!(CALLBACKS_FOR[record.type] ?? []).includes(type)) {
    state.changed();
    return reject(record, 'callback', invalidForm([`type: callback type ${type} is not valid for interaction type ${record.type}`]));
  }
  const problems =
    type === 4 || type === 7 ? messageProblems(data, req.files.length, type === 4) : type === 8 ? autocompleteProblems(data) : [];
  if (problems.length > 0) {
    state.changed();
    return reject(record, 'callback', invalidForm(problems));
  }
  const component = record.type === 3 ? state.findMessage(String(asObject(record.payload['message'] ?? null)['id'])) : null;
  if (type === 4) {
    record.original = state.createMessage(record.channelId, data ?? {}, req.files, { interaction: record, extraFlags: 0 });
  } else if (type === 5) {
    const flags = (typeof data?.['flags'] === 'number' ? data['flags'] : 0) & FLAG_EPHEMERAL;
    record.original = state.createMessage(record.channelId, { content: '' }, [], { interaction: record, extraFlags: flags | FLAG_LOADING });
  } else if (type === 6 || type === 7) {
    record.original = component;
    if (type === 7 && component !== null) state.editMessage(component, data ?? {}, req.files);
  }
  record.callback = { type, data, files: req.files, at: Date.now() };
  state.changed();
  if (req.query['with_response'] !== 'true') return noContent;
  const message = record.original;
  const ephemeral = message !== null && (Number(message.payload['flags'] ?? 0) & FLAG_EPHEMERAL) !== 0;
  return ok({
    interaction: {
      id: record.id,
      type: record.type,
      response_message_id: message?.id ?? null,
      response_message_loading: type === 5,
      response_message_ephemeral: ephemeral,
    },
    resource: message === null ? { type } : { type, message: message.payload },
  });
});

function interactionByToken(ctx: RestContext, appId: string | undefined, token: string | undefined): InteractionRecord | null {
  if (appId !== ctx.state.applicationId) return null;
  for (const record of ctx.state.interactions.values()) if (record.token === token) return record;
  return null;
}

function webhookMessage(record: InteractionRecord, messageId: string | undefined): StoredMessage | null {
  if (messageId === '@original') return record.original;
  return record.followUps.find((m) => m.id === messageId) ?? null;
}

const WEBHOOK_MESSAGE = '/webhooks/:id/:token/messages/(@original|\\d+)';

route('GET', WEBHOOK_MESSAGE, false, (ctx, _req, [appId, token, messageId]) => {
  const record = interactionByToken(ctx, appId, token);
  if (record === null) return fail(404, 10015, 'Unknown Webhook');
  const message = webhookMessage(record, messageId);
  return message === null ? fail(404, 10008, 'Unknown Message') : ok(message.payload);
});
route('PATCH', WEBHOOK_MESSAGE, false, (ctx, req, [appId, token, messageId]) => {
  const record = interactionByToken(ctx, appId, token);
  if (record === null) return fail(404, 10015, 'Unknown Webhook');
  if (record.callback === null) return reject(record, 'edit', fail(404, 10015, 'Unknown Webhook'));
  const message = webhookMessage(record, messageId);
  if (message === null) return reject(record, 'edit', fail(404, 10008, 'Unknown Message'));
  const problems = messageProblems(req.body, req.files.length, false);
  if (problems.length > 0) return reject(record, 'edit', invalidForm(problems));
  if (messageId === '@original') record.edits.push(asObject(req.body));
  ctx.state.editMessage(message, asObject(req.body), req.files, FLAG_LOADING);
  return ok(message.payload);
});
route('DELETE', WEBHOOK_MESSAGE, false, (ctx, _req, [appId, token, messageId]) => {
  const record = interactionByToken(ctx, appId, token);
  if (record === null) return fail(404, 10015, 'Unknown Webhook');
  const message = webhookMessage(record, messageId);
  if (message === null) return fail(404, 10008, 'Unknown Message');
  ctx.state.deleteMessage(message);
  if (message === record.original) record.original = null;
  return noContent;
});
route('POST', '/webhooks/:id/:token', false, (ctx, req, [appId, token]) => {
  const record = interactionByToken(ctx, appId, token);
  if (record === null) return fail(404, 10015, 'Unknown Webhook');
  if (record.callback === null) return reject(record, 'follow-up', fail(404, 10015, 'Unknown Webhook'));
  const problems = messageProblems(req.body, req.files.length, true);
  if (problems.length > 0) return reject(record, 'follow-up', invalidForm(problems));
  const body = asObject(req.body);
  // Discord: the first follow-up after a deferred reply replaces the "thinking…" message.
  const original = record.original;
  if (original !== null && (Number(original.payload['flags'] ?? 0) & FLAG_LOADING) !== 0) {
    ctx.state.editMessage(original, body, req.files, FLAG_LOADING);
    record.followUps.push(original);
    return ok(original.payload);
  }
  const flags = typeof body['flags'] === 'number' ? body['flags'] & FLAG_EPHEMERAL : 0;
  const message = ctx.state.createMessage(record.channelId, body, req.files, { interaction: record, extraFlags: flags });
  record.followUps.push(message);
  ctx.state.changed();
  return ok(message.payload);
});

// --- application commands --------------------------------------------------------------

function commandPayload(command: RegisteredCommand): JsonObject {
  const payload: JsonObject = {
    ...command.raw,
    id: command.id,
    application_id: command.applicationId,
    name: command.name,
    description: command.description,
    type: command.type,
    options: [...command.options],
    default_member_permissions: command.defaultMemberPermissions,
    nsfw: false,
    version: newSnowflake(),
  };
  if (command.guildId !== null) payload['guild_id'] = command.guildId;
  return payload;
}

function toRegistered(ctx: RestContext, raw: JsonObject, guildId: string | null, keepId: string | null): RegisteredCommand {
  const permissions = raw['default_member_permissions'];
  return {
    id: keepId ?? newSnowflake(),
    applicationId: ctx.state.applicationId,
    guildId,
    name: String(raw['name']),
    description: typeof raw['description'] === 'string' ? raw['description'] : '',
    type: typeof raw['type'] === 'number' ? raw['type'] : 1,
    options: Array.isArray(raw['options']) ? (raw['options'] as JsonObject[]) : [],
    defaultMemberPermissions: typeof permissions === 'string' ? permissions : null,
    raw,
  };
}

function scopeOr404(ctx: RestContext, appId: string | undefined, guildId: string | undefined): RestResponse | null {
  if (appId !== ctx.state.applicationId) return fail(403, 50001, 'Missing Access');
  if (guildId !== undefined && guildId !== ctx.state.guild.id) return fail(403, 50001, 'Missing Access');
  return null;
}

function commandsRoutes(prefix: string, guildScoped: boolean): void {
  const scope = (params: string[]): [string | undefined, string | null] => [params[0], guildScoped ? (params[1] ?? null) : null];
  route('GET', prefix, true, (ctx, _req, params) => {
    const [appId, guildId] = scope(params);
    const refused = scopeOr404(ctx, appId, guildId ?? undefined);
    if (refused) return refused;
    return ok(ctx.state.commands.filter((c) => c.guildId === guildId).map(commandPayload));
  });
  route('PUT', prefix, true, (ctx, req, params) => {
    const [appId, guildId] = scope(params);
    const refused = scopeOr404(ctx, appId, guildId ?? undefined);
    if (refused) return refused;
    const problems = commandListProblems(req.body);
    if (problems.length > 0) return invalidForm(problems);
    const previous = ctx.state.commands.filter((c) => c.guildId === guildId);
    const next = (req.body as JsonObject[]).map((raw) => {
      const same = previous.find((c) => c.name === raw['name'] && c.type === (raw['type'] ?? 1));
      return toRegistered(ctx, raw, guildId, same?.id ?? null);
    });
    const others = ctx.state.commands.filter((c) => c.guildId !== guildId);
    ctx.state.commands.splice(0, ctx.state.commands.length, ...others, ...next);
    ctx.state.changed();
    return ok(next.map(commandPayload));
  });
  route('POST', prefix, true, (ctx, req, params) => {
    const [appId, guildId] = scope(params);
    const refused = scopeOr404(ctx, appId, guildId ?? undefined);
    if (refused) return refused;
    const problems = commandProblems(req.body, 'body');
    if (problems.length > 0) return invalidForm(problems);
    const raw = asObject(req.body);
    const index = ctx.state.commands.findIndex((c) => c.guildId === guildId && c.name === raw['name']);
    const command = toRegistered(ctx, raw, guildId, index >= 0 ? (ctx.state.commands[index]?.id ?? null) : null);
    if (index >= 0) ctx.state.commands.splice(index, 1, command);
    else ctx.state.commands.push(command);
    ctx.state.changed();
    return { status: index >= 0 ? 200 : 201, body: commandPayload(command) };
  });
  route('DELETE', `${prefix}/:id`, true, (ctx, _req, params) => {
    const [appId, guildId] = scope(params);
    const refused = scopeOr404(ctx, appId, guildId ?? undefined);
    if (refused) return refused;
    const commandId = params[guildScoped ? 2 : 1];
    const index = ctx.state.commands.findIndex((c) => c.guildId === guildId && c.id === commandId);
    if (index < 0) return fail(404, 10063, 'Unknown application command');
    ctx.state.commands.splice(index, 1);
    ctx.state.changed();
    return noContent;
  });
}
commandsRoutes('/applications/:id/guilds/:id/commands', true);
commandsRoutes('/applications/:id/commands', false);
