/**
 * A local fake Discord (gateway websocket + REST, node:http and `ws` on 127.0.0.1, a
 * random port) that the real discord.js v14 client talks to when created with
 * `rest: { api: fake.apiBase }`; the gateway URL comes from the fake's GET /gateway/bot.
 *
 *   const fake = await startFakeDiscord();
 *   const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiBase } });
 *   await client.login(fake.token);
 *   const { id } = fake.sendCommand({ name: 'status' });
 *   const reply = await fake.waitForInteractionReply(id);
 *
 * Everything is recorded (requests, gateway events, messages with attachment bytes,
 * registered commands); every wait is bounded (`timeoutMs`, default 10 s) and says what
 * it saw when it gives up. See types.ts for the recorded shapes, rest.ts for the routes,
 * gateway.ts for the gateway behaviour, validate.ts for the Discord limits enforced.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DEFAULT_IDS, defaultBotUser, defaultGuild, guildCreatePayload, memberPayload, userPayload } from './fixture.js';
import { FakeGateway, type DropOptions } from './gateway.js';
import { BodyError, parseBody, sendEmpty, sendJson, discordError } from './http-body.js';
import {
  baseInteraction,
  commandData,
  findComponent,
  type AutocompleteInput,
  type ButtonInput,
  type CommandInput,
} from './interactions.js';
import { handleRest, type RestContext } from './rest.js';
import { DiscordState, FLAG_EPHEMERAL, arrayOr } from './state.js';
import type {
  FakeGuild,
  FakeUser,
  GatewayEvent,
  GatewayEventKind,
  InteractionRecord,
  Json,
  JsonObject,
  RecordedRequest,
  RegisteredCommand,
  StoredMessage,
} from './types.js';

export * from './types.js';
export { DEFAULT_IDS, PERMISSION } from './fixture.js';
export type { AutocompleteInput, ButtonInput, CommandInput, InteractionActor, OptionValue } from './interactions.js';
export type { DropOptions } from './gateway.js';

export interface FakeDiscordOptions {
  /** The bot token the fake accepts (REST `Bot <token>` and gateway IDENTIFY). */
  readonly token?: string;
  readonly applicationId?: string;
  readonly bot?: FakeUser;
  /** Default: a guild with owner, operator, viewer and stranger; #general, #reports, #muted. */
  readonly guild?: FakeGuild;
  /** HELLO's heartbeat interval (Discord ≈ 41 s); default 2000 ms so heartbeats happen in tests. */
  readonly heartbeatIntervalMs?: number;
  /** Enforce Discord's 3 s callback deadline (404 Unknown interaction after it); default: not enforced. */
  readonly callbackDeadlineMs?: number | null;
  /** Default bound of every wait helper; default 10 000 ms. */
  readonly defaultTimeoutMs?: number;
}

export interface WaitOptions {
  readonly timeoutMs?: number;
}

export interface InteractionReplyWait extends WaitOptions {
  /** Resolve when this holds; default: a visible answer exists (see `hasVisibleAnswer`). */
  readonly until?: (record: InteractionRecord) => boolean;
}

export interface ChannelMessageWait extends WaitOptions {
  readonly where?: (message: StoredMessage) => boolean;
  /** Resolve with the n-th matching message (0 = the first); default 0. */
  readonly nth?: number;
  /** Only bot posts (POST /channels/:id/messages), not interaction responses; default true. */
  readonly postsOnly?: boolean;
}

export interface FailureInjection {
  /** Which requests fail: a method (or null for any) and a route pattern (after /api/v10). */
  readonly method?: string | null;
  readonly route: RegExp;
  readonly count: number;
  /** 'server_error' answers 500 (discord.js retries 5xx itself, `rest.retries`, default 3); 'rate_limit' answers 429. */
  readonly kind: 'server_error' | 'rate_limit';
  readonly status?: number;
  /** For 429: Retry-After and the body's retry_after, in seconds; default 1. */
  readonly retryAfterSec?: number;
  readonly global?: boolean;
}

export interface InjectedInteraction {
  readonly id: string;
  readonly token: string;
}

/** An answer the user can see: a reply/update/autocomplete/modal, or a deferral followed by an edit or follow-up. */
export function hasVisibleAnswer(record: InteractionRecord): boolean {
  const callback = record.callback;
  if (callback === null) return false;
  if (callback.type === 4 || callback.type === 7 || callback.type === 8 || callback.type === 9) return true;
  return record.edits.length > 0 || record.followUps.length > 0;
}

/** True when the message is ephemeral (only its interaction's user sees it). */
export function isEphemeral(message: StoredMessage): boolean {
  return (Number(message.payload['flags'] ?? 0) & FLAG_EPHEMERAL) !== 0;
}

/** The text a phone would show for a message: content, then each embed's title, description and fields. */
export function messageText(message: StoredMessage | JsonObject): string {
  const payload: JsonObject = 'history' in message ? (message as StoredMessage).payload : message;
  const parts: string[] = [];
  if (typeof payload['content'] === 'string' && payload['content'] !== '') parts.push(payload['content']);
  for (const embed of arrayOr(payload['embeds'])) {
    const e = embed as JsonObject;
    for (const key of ['title', 'description'] as const) if (typeof e[key] === 'string') parts.push(e[key]);
    for (const field of arrayOr(e['fields']))
      parts.push(`${String((field as JsonObject)['name'])}: ${String((field as JsonObject)['value'])}`);
    const footer = e['footer'] as JsonObject | undefined;
    if (footer && typeof footer['text'] === 'string') parts.push(footer['text']);
  }
  return parts.join('\n');
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly guild: FakeGuild;
  readonly bot: FakeUser;
  private readonly state: DiscordState;
  private readonly gateway: FakeGateway;
  private readonly server = createServer((req, res) => void this.onRequest(req, res));
  private readonly sockets = new Set<Socket>();
  private readonly gatewayLog: GatewayEvent[] = [];
  private readonly defaultTimeoutMs: number;
  private readonly restContext: RestContext;
  private port = 0;
  private lastDropIndex = 0;

  constructor(options: FakeDiscordOptions = {}) {
    this.token = options.token ?? 'fake-bot-token.for-tests-only';
    this.applicationId = options.applicationId ?? DEFAULT_IDS.applicationId;
    this.bot = options.bot ?? defaultBotUser();
    this.guild = options.guild ?? defaultGuild(this.bot);
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 10_000;
    this.state = new DiscordState(this.guild, this.bot, this.applicationId, () => `${this.origin}/attachments`);
    this.restContext = {
      state: this.state,
      token: this.token,
      gatewayUrl: () => this.gatewayUrl,
      callbackDeadlineMs: options.callbackDeadlineMs ?? null,
    };
    this.gateway = new FakeGateway({
      token: this.token,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 2000,
      url: () => this.gatewayUrl,
      ready: (sessionId) => ({
        v: 10,
        user: { ...userPayload(this.bot), verified: true, mfa_enabled: false },
        guilds: [{ id: this.guild.id, unavailable: true }],
        session_id: sessionId,
        resume_gateway_url: this.gatewayUrl,
        shard: [0, 1],
        application: { id: this.applicationId, flags: 0 },
        private_channels: [],
        presences: [],
        relationships: [],
        guild_join_requests: [],
        geo_ordered_rtc_regions: [],
        user_settings: {},
        _trace: ['fake-discord'],
      }),
      guilds: () => [guildCreatePayload(this.guild)],
      membersChunk: (guildId) =>
        guildId === this.guild.id
          ? {
              guild_id: guildId,
              members: this.guild.members.map((m) => memberPayload(this.guild, m.user, m.roleIds, false)),
              chunk_index: 0,
              chunk_count: 1,
            }
          : null,
      onEvent: (event) => {
        this.gatewayLog.push(event);
        this.state.changed();
      },
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if ((req.url ?? '').split('?')[0] !== '/gateway') {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.gateway.handleUpgrade(req, socket, head);
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** @internal use startFakeDiscord(). */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** For discord.js `rest: { api }` and DISCORD_API_BASE. */
  get apiBase(): string {
    return `${this.origin}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  /** The fixture's named ids (guild, users, roles, channels) when the default guild is used. */
  get ids(): typeof DEFAULT_IDS {
    return DEFAULT_IDS;
  }

  // --- what happened ---------------------------------------------------------------------

  requests(): readonly RecordedRequest[] {
    return this.state.requests;
  }

  gatewayEvents(): readonly GatewayEvent[] {
    return this.gatewayLog;
  }

  /** The intents of the latest IDENTIFY (null before any). */
  identifiedIntents(): number | null {
    return this.gateway.intents;
  }

  /** Commands registered for a guild (id), globally (null), or all (undefined), in registration order. */
  registeredCommands(guildId?: string | null): readonly RegisteredCommand[] {
    return this.state.commands.filter((c) => guildId === undefined || c.guildId === guildId);
  }

  interaction(id: string): InteractionRecord {
    const record = this.state.interactions.get(id);
    if (record === undefined) throw new Error(`fake Discord: no interaction ${id} was injected`);
    return record;
  }

  /** Every message in a channel, oldest first (bot posts and interaction responses). */
  channelMessages(channelId: string): readonly StoredMessage[] {
    const stored = this.state.channels.get(channelId);
    if (stored === undefined) throw new Error(`fake Discord: unknown channel ${channelId}`);
    return stored.messages;
  }

  // --- interactions ----------------------------------------------------------------------

  /** Dispatches an APPLICATION_COMMAND (slash command); default actor: the operator in #general. */
  sendCommand(input: CommandInput): InjectedInteraction {
    const built = baseInteraction(this.state, 2, input, this.ids.operatorUserId);
    built.payload['data'] = commandData(this.state, input, built.guildId, null);
    return this.inject(built.payload, built);
  }

  /** Dispatches an APPLICATION_COMMAND_AUTOCOMPLETE with `focused` as the option being typed. */
  sendAutocomplete(input: AutocompleteInput): InjectedInteraction {
    const built = baseInteraction(this.state, 4, input, this.ids.operatorUserId);
    built.payload['data'] = commandData(this.state, input, built.guildId, input.focused);
    return this.inject(built.payload, built);
  }

  /**
   * Dispatches a MESSAGE_COMPONENT button press on a message the bot sent. Like Discord,
   * it refuses a button that is not on the message, and a press on an ephemeral message
   * by anyone but the user it was shown to (nobody else can see it).
   */
  pressButton(input: ButtonInput): InjectedInteraction {
    const message = this.state.findMessage(input.messageId);
    if (message === null) throw new Error(`fake Discord: no message ${input.messageId} to press a button on`);
    const component = findComponent(message.payload['components'], input.customId);
    if (component === null || component['type'] !== 2) {
      throw new Error(`fake Discord: message ${input.messageId} has no button with custom_id "${input.customId}"`);
    }
    if (component['disabled'] === true) throw new Error(`fake Discord: button "${input.customId}" is disabled`);
    const userId = input.userId ?? this.ids.operatorUserId;
    if (message.visibleTo !== null && message.visibleTo !== userId) {
      throw new Error(`fake Discord: message ${message.id} is ephemeral; only user ${message.visibleTo} can see and press its buttons`);
    }
    const stored = this.state.channels.get(message.channelId);
    const built = baseInteraction(
      this.state,
      3,
      { ...input, channelId: message.channelId, guildId: input.guildId ?? stored?.guildId ?? null },
      userId,
    );
    built.payload['message'] = structuredClone(message.payload);
    built.payload['data'] = { custom_id: input.customId, component_type: 2 };
    return this.inject(built.payload, built);
  }

  private inject(payload: JsonObject, built: { userId: string; guildId: string | null; channelId: string }): InjectedInteraction {
    if (this.gateway.liveSessionCount === 0) throw new Error('fake Discord: no bot session on the gateway (log a client in first)');
    const record: InteractionRecord = {
      id: String(payload['id']),
      token: String(payload['token']),
      type: Number(payload['type']),
      userId: built.userId,
      guildId: built.guildId,
      channelId: built.channelId,
      payload,
      injectedAt: Date.now(),
      callback: null,
      edits: [],
      followUps: [],
      original: null,
      rejected: [],
    };
    this.state.interactions.set(record.id, record);
    this.gateway.dispatch('INTERACTION_CREATE', payload);
    return { id: record.id, token: record.token };
  }

  // --- waits -----------------------------------------------------------------------------

  /** Resolves with the interaction's record once it has a visible answer (or `until` holds). */
  waitForInteractionReply(interactionId: string, options: InteractionReplyWait = {}): Promise<InteractionRecord> {
    const record = this.interaction(interactionId);
    const until = options.until ?? hasVisibleAnswer;
    return this.state.waitFor(
      () => (until(record) ? record : undefined),
      options.timeoutMs ?? this.defaultTimeoutMs,
      `an answer to interaction ${interactionId}`,
      () =>
        `callback: ${record.callback === null ? 'none' : `type ${record.callback.type}`}, edits: ${record.edits.length}, ` +
        `follow-ups: ${record.followUps.length}, refused: ${JSON.stringify(record.rejected)}`,
    );
  }

  /** Resolves with the n-th message in a channel that matches `where` (already there or yet to come). */
  waitForChannelMessage(channelId: string, options: ChannelMessageWait = {}): Promise<StoredMessage> {
    const nth = options.nth ?? 0;
    const postsOnly = options.postsOnly ?? true;
    const matches = (): StoredMessage[] =>
      this.channelMessages(channelId).filter((m) => (!postsOnly || m.interactionId === null) && (options.where?.(m) ?? true));
    return this.state.waitFor(
      () => matches()[nth],
      options.timeoutMs ?? this.defaultTimeoutMs,
      `message #${nth} in channel ${channelId}`,
      () => {
        const posts = this.state.requests.filter((r) => r.route === `/channels/${channelId}/messages` && r.method === 'POST');
        return `${matches().length} matching, ${posts.length} posts (statuses ${posts.map((r) => r.status).join(',') || 'none'})`;
      },
    );
  }

  /** Resolves with the first recorded request (past or future) that matches. */
  waitForRequest(where: (request: RecordedRequest) => boolean, options: WaitOptions = {}): Promise<RecordedRequest> {
    return this.state.waitFor(
      () => this.state.requests.find(where),
      options.timeoutMs ?? this.defaultTimeoutMs,
      'a matching request',
      () =>
        `${this.state.requests.length} requests: ${this.state.requests
          .slice(-5)
          .map((r) => `${r.method} ${r.route} ${r.status}`)
          .join('; ')}`,
    );
  }

  /** Resolves with the first gateway event of these kinds recorded at or after index `from`. */
  waitForGatewayEvent(kinds: readonly GatewayEventKind[], options: WaitOptions & { readonly from?: number } = {}): Promise<GatewayEvent> {
    const from = options.from ?? 0;
    return this.state.waitFor(
      () => this.gatewayLog.slice(from).find((e) => kinds.includes(e.kind)),
      options.timeoutMs ?? this.defaultTimeoutMs,
      `gateway ${kinds.join('|')}`,
      () =>
        `events since #${from}: ${
          this.gatewayLog
            .slice(from)
            .map((e) => e.kind)
            .join(', ') || 'none'
        }`,
    );
  }

  /** Resolves when a client has identified and received its guilds (READY sent). */
  waitForLogin(options: WaitOptions = {}): Promise<GatewayEvent> {
    return this.waitForGatewayEvent(['ready'], options);
  }

  // --- faults ----------------------------------------------------------------------------

  /**
   * Cuts the gateway connection(s) (see DropOptions: a close code, a time the gateway
   * refuses connections, forgetting sessions). The client reconnects by itself.
   */
  dropGateway(options: DropOptions = {}): void {
    this.lastDropIndex = this.gatewayLog.length;
    this.gateway.drop(options);
  }

  /** Resolves when a client is back (RESUMED, or READY after a new IDENTIFY) since the last drop. */
  waitForReconnect(options: WaitOptions = {}): Promise<GatewayEvent> {
    return this.waitForGatewayEvent(['resumed', 'ready'], { ...options, from: this.lastDropIndex });
  }

  /** Makes the next `count` matching REST requests fail (without being applied). */
  failNextRequests(injection: FailureInjection): void {
    this.state.failures.push({
      method: injection.method === undefined ? null : injection.method,
      route: injection.route,
      remaining: injection.count,
      kind: injection.kind,
      status: injection.status ?? (injection.kind === 'rate_limit' ? 429 : 500),
      retryAfterSec: injection.retryAfterSec ?? 1,
      global: injection.global ?? false,
    });
  }

  /** Shorthand: the next `count` POST /channels/:id/messages fail. */
  failNextChannelPosts(count: number, kind: FailureInjection['kind'] = 'server_error', retryAfterSec = 1): void {
    this.failNextRequests({ method: 'POST', route: /^\/channels\/\d+\/messages$/, count, kind, retryAfterSec });
  }

  async close(): Promise<void> {
    this.state.close();
    this.gateway.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- HTTP ------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/attachments/')) {
      const attachmentId = url.pathname.split('/')[3] ?? '';
      const file = this.state.attachmentBytes(attachmentId);
      if (file === null) sendJson(res, 404, discordError(0, '404: Not Found'));
      else {
        res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.bytes.length) });
        res.end(file.bytes);
      }
      return;
    }
    const match = /^\/api(?:\/v\d+)?(\/.*)$/.exec(decodeURIComponent(url.pathname));
    const route = match?.[1] ?? url.pathname;
    const query = Object.fromEntries(url.searchParams.entries());
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : null;
    const recordAs = (status: number, body: Json, files: RecordedRequest['files'], injected: RecordedRequest['injected']): void =>
      this.state.record({ method, route, query, authorization, body, files, status, injected, at: Date.now() });

    let parsed;
    try {
      parsed = await parseBody(req);
    } catch (error) {
      const status = error instanceof BodyError ? error.status : 400;
      recordAs(status, null, [], null);
      sendJson(res, status, discordError(50109, (error as Error).message));
      return;
    }
    if (match === null) {
      recordAs(404, parsed.json, parsed.files, null);
      sendJson(res, 404, discordError(0, '404: Not Found'));
      return;
    }
    const failure = this.state.takeFailure(method, route);
    if (failure !== null) {
      recordAs(failure.status, parsed.json, parsed.files, failure.kind);
      if (failure.kind === 'rate_limit') {
        const retry = String(failure.retryAfterSec);
        const headers: Record<string, string> = {
          'retry-after': retry,
          'x-ratelimit-limit': '5',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset-after': retry,
          'x-ratelimit-bucket': 'fake-bucket',
          'x-ratelimit-scope': failure.global ? 'global' : 'user',
        };
        if (failure.global) headers['x-ratelimit-global'] = 'true';
        sendJson(
          res,
          failure.status,
          { message: 'You are being rate limited.', retry_after: failure.retryAfterSec, global: failure.global, code: 0 },
          headers,
        );
      } else {
        sendJson(res, failure.status, discordError(0, `${failure.status}: Internal Server Error`));
      }
      return;
    }
    const response = handleRest(this.restContext, { method, route, query, body: parsed.json, files: parsed.files, authorization });
    recordAs(response.status, parsed.json, parsed.files, null);
    if (response.status === 204 || response.body === undefined) sendEmpty(res);
    else sendJson(res, response.status, response.body, response.headers);
  }
}

/** Starts a fake Discord on 127.0.0.1 (random port). Close it with `await fake.close()`. */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscord(options);
  await fake.listen();
  return fake;
}
