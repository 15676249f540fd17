/**
 * Shapes the fake Discord records and hands to tests. Payloads are Discord API JSON
 * (snake_case), kept as plain objects: the fake checks what Discord checks, it does not
 * re-type the whole API.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A file received in a multipart/form-data request (`files[n]`), bytes kept as sent. */
export interface ReceivedFile {
  /** The form field, e.g. `files[0]`. */
  readonly field: string;
  readonly filename: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

/** One HTTP request the fake answered (every route, including unknown ones). */
export interface RecordedRequest {
  readonly method: string;
  /** The route after `/api` and the optional `/v{n}` prefix, e.g. `/channels/1/messages`. */
  readonly route: string;
  readonly query: Readonly<Record<string, string>>;
  /** `Bot <token>` when sent; webhook and interaction routes are called without it. */
  readonly authorization: string | null;
  /** The JSON body, or the parsed `payload_json` of a multipart body; null when none. */
  readonly body: Json;
  readonly files: readonly ReceivedFile[];
  readonly status: number;
  /** Set when an injected failure answered this request. */
  readonly injected: 'server_error' | 'rate_limit' | null;
  readonly at: number;
}

/** A message as the fake stores it: the API object plus the files that came with it. */
export interface StoredMessage {
  readonly id: string;
  readonly channelId: string;
  /** The Discord message object returned to the client (attachments, embeds, components, flags). */
  payload: JsonObject;
  /** The bytes of every attachment currently on the message, in `payload.attachments` order. */
  files: ReceivedFile[];
  /** Set for interaction responses: the interaction that created it. */
  readonly interactionId: string | null;
  /** Set for an ephemeral interaction response: only this user can see (and press) it. */
  readonly visibleTo: string | null;
  /** Every version of the content, first (creation) to last edit. */
  readonly history: JsonObject[];
}

/** A POST /interactions/:id/:token/callback, as received. */
export interface InteractionCallback {
  /** 4 reply, 5 deferred reply, 6 deferred update, 7 update, 8 autocomplete, 9 modal. */
  readonly type: number;
  readonly data: JsonObject | null;
  readonly files: readonly ReceivedFile[];
  readonly at: number;
}

/** Everything the bot did in answer to one injected interaction. */
export interface InteractionRecord {
  readonly id: string;
  readonly token: string;
  /** 2 application command, 3 message component, 4 autocomplete. */
  readonly type: number;
  readonly userId: string;
  readonly guildId: string | null;
  readonly channelId: string;
  /** The payload dispatched in INTERACTION_CREATE. */
  readonly payload: JsonObject;
  readonly injectedAt: number;
  /** The callback (Discord accepts exactly one), or null while unanswered. */
  callback: InteractionCallback | null;
  /** PATCH @original bodies, in order. */
  readonly edits: JsonObject[];
  /** Follow-up messages (POST /webhooks/:app/:token). */
  readonly followUps: StoredMessage[];
  /** The original response message (created by callback 4/5, or the component's message for 6/7). */
  original: StoredMessage | null;
  /** Requests refused for this interaction (e.g. a second callback), with Discord's error code. */
  readonly rejected: { readonly route: string; readonly code: number; readonly message: string }[];
}

export interface FakeRole {
  readonly id: string;
  readonly name: string;
  /** Permission bit set as a decimal string, as Discord sends it. */
  readonly permissions: string;
}

export interface FakeUser {
  readonly id: string;
  readonly username: string;
  readonly bot?: boolean;
}

export interface FakeMember {
  readonly user: FakeUser;
  readonly roleIds: readonly string[];
}

export interface FakeChannel {
  readonly id: string;
  readonly name: string;
  /** 0 guild text, 1 DM, 2 voice, 4 category. */
  readonly type: number;
  /** False: POST /channels/:id/messages answers 403 Missing Access (50001). */
  readonly botCanSend?: boolean;
}

export interface FakeGuild {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly roles: readonly FakeRole[];
  readonly channels: readonly FakeChannel[];
  readonly members: readonly FakeMember[];
}

/** A command the bot registered (bulk overwrite or create), with the id Discord assigned. */
export interface RegisteredCommand {
  readonly id: string;
  readonly applicationId: string;
  readonly guildId: string | null;
  readonly name: string;
  readonly description: string;
  /** 1 chat input (slash), 2 user, 3 message. */
  readonly type: number;
  readonly options: readonly JsonObject[];
  readonly defaultMemberPermissions: string | null;
  /** The body as sent, for exact checks. */
  readonly raw: JsonObject;
}

export type GatewayEventKind =
  | 'connect'
  | 'refused'
  | 'identify'
  | 'identify_rejected'
  | 'ready'
  | 'resume'
  | 'resumed'
  | 'invalid_session'
  | 'heartbeat'
  | 'drop'
  | 'client_close';

export interface GatewayEvent {
  readonly kind: GatewayEventKind;
  readonly sessionId: string | null;
  readonly at: number;
  /** Close code for `drop` / `client_close`; intents for `identify`. */
  readonly detail: number | null;
}
