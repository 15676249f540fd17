/**
 * What the fake Discord remembers: channels and their messages (with attachment bytes),
 * injected interactions and everything answered to them, registered commands, recorded
 * requests, injected failures; and the bounded waits tests use on all of it.
 */
import { EventEmitter } from 'node:events';
import { newSnowflake, userPayload } from './fixture.js';
import type {
  FakeChannel,
  FakeGuild,
  FakeUser,
  InteractionRecord,
  Json,
  JsonObject,
  ReceivedFile,
  RecordedRequest,
  RegisteredCommand,
  StoredMessage,
} from './types.js';

export const FLAG_EPHEMERAL = 1 << 6;
export const FLAG_LOADING = 1 << 7;

export interface FailureRule {
  readonly method: string | null;
  readonly route: RegExp;
  remaining: number;
  readonly kind: 'server_error' | 'rate_limit';
  readonly status: number;
  readonly retryAfterSec: number;
  readonly global: boolean;
}

export interface StoredChannel {
  readonly channel: FakeChannel;
  readonly guildId: string | null;
  readonly recipient: FakeUser | null;
  readonly messages: StoredMessage[];
}

export class FakeClosedError extends Error {
  constructor() {
    super('the fake Discord was closed while a test was waiting on it');
  }
}

export class DiscordState {
  readonly requests: RecordedRequest[] = [];
  readonly channels = new Map<string, StoredChannel>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly commands: RegisteredCommand[] = [];
  readonly failures: FailureRule[] = [];
  private readonly changes = new EventEmitter();
  private closed = false;

  constructor(
    readonly guild: FakeGuild,
    readonly bot: FakeUser,
    readonly applicationId: string,
    private readonly attachmentBase: () => string,
  ) {
    this.changes.setMaxListeners(0);
    for (const channel of guild.channels) this.channels.set(channel.id, { channel, guildId: guild.id, recipient: null, messages: [] });
  }

  /** Tells every pending wait to look again. */
  changed(): void {
    this.changes.emit('change');
  }

  close(): void {
    this.closed = true;
    this.changes.emit('close');
  }

  /**
   * Resolves with the first non-undefined `probe()` result, checked now and after every
   * change; rejects after `timeoutMs` with `what` and `seen()` in the message.
   */
  waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string, seen: () => string): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    if (this.closed) return Promise.reject(new FakeClosedError());
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.changes.off('change', onChange);
        this.changes.off('close', onClose);
      };
      const onChange = (): void => {
        let value: T | undefined;
        try {
          value = probe();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value === undefined) return;
        finish();
        resolve(value);
      };
      const onClose = (): void => {
        finish();
        reject(new FakeClosedError());
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`fake Discord: timed out after ${timeoutMs} ms waiting for ${what}; ${seen()}`));
      }, timeoutMs);
      this.changes.on('change', onChange);
      this.changes.on('close', onClose);
    });
  }

  record(request: RecordedRequest): void {
    this.requests.push(request);
    this.changed();
  }

  /** The injected failure that answers this request, if one is armed (consumes one use). */
  takeFailure(method: string, route: string): FailureRule | null {
    const rule = this.failures.find((f) => f.remaining > 0 && (f.method === null || f.method === method) && f.route.test(route));
    if (rule === undefined) return null;
    rule.remaining -= 1;
    return rule;
  }

  dmChannelFor(user: FakeUser): StoredChannel {
    for (const stored of this.channels.values()) if (stored.recipient?.id === user.id) return stored;
    const channel: FakeChannel = { id: newSnowflake(), name: '', type: 1 };
    const stored: StoredChannel = { channel, guildId: null, recipient: user, messages: [] };
    this.channels.set(channel.id, stored);
    return stored;
  }

  channelPayload(stored: StoredChannel): JsonObject {
    const { channel } = stored;
    if (stored.recipient !== null) {
      return { id: channel.id, type: 1, flags: 0, last_message_id: null, recipients: [userPayload(stored.recipient)] };
    }
    return {
      id: channel.id,
      type: channel.type,
      name: channel.name,
      guild_id: stored.guildId,
      position: 0,
      permission_overwrites: [],
      parent_id: null,
      nsfw: false,
      topic: null,
      last_message_id: stored.messages.at(-1)?.id ?? null,
      rate_limit_per_user: 0,
      flags: 0,
    };
  }

  findMessage(messageId: string): StoredMessage | null {
    for (const stored of this.channels.values()) {
      const found = stored.messages.find((m) => m.id === messageId);
      if (found) return found;
    }
    return null;
  }

  /** Creates a message from a (validated) body and files; interaction responses carry their interaction. */
  createMessage(
    channelId: string,
    body: JsonObject,
    files: readonly ReceivedFile[],
    origin: { interaction: InteractionRecord | null; extraFlags: number },
  ): StoredMessage {
    const stored = this.channels.get(channelId);
    if (stored === undefined) throw new Error(`fake Discord: unknown channel ${channelId}`);
    const id = newSnowflake();
    const interaction = origin.interaction;
    const flags = numberOr(body['flags'], 0) | origin.extraFlags;
    const author = interaction === null ? userPayload(this.bot) : { ...userPayload(this.bot), id: this.applicationId };
    const payload: JsonObject = {
      id,
      channel_id: channelId,
      author,
      content: typeof body['content'] === 'string' ? body['content'] : '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: body['tts'] === true,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: arrayOr(body['embeds']),
      components: arrayOr(body['components']),
      pinned: false,
      type: interaction !== null && interaction.type === 2 ? 20 : 0,
      flags,
    };
    if (stored.guildId !== null) payload['guild_id'] = stored.guildId;
    if (interaction !== null) {
      payload['webhook_id'] = this.applicationId;
      payload['application_id'] = this.applicationId;
      payload['interaction_metadata'] = {
        id: interaction.id,
        type: interaction.type,
        user: (interaction.payload['member'] as JsonObject | undefined)?.['user'] ?? interaction.payload['user'] ?? null,
        authorizing_integration_owners: interaction.payload['authorizing_integration_owners'] ?? {},
      };
    }
    const message: StoredMessage = {
      id,
      channelId,
      payload,
      files: [],
      interactionId: interaction?.id ?? null,
      visibleTo: (flags & FLAG_EPHEMERAL) !== 0 && interaction !== null ? interaction.userId : null,
      history: [],
    };
    this.applyAttachments(message, body, files, false);
    message.history.push(structuredClone(payload));
    stored.messages.push(message);
    this.changed();
    return message;
  }

  /** Applies an edit (PATCH body) to a message, Discord style: absent fields stay as they were. */
  editMessage(message: StoredMessage, body: JsonObject, files: readonly ReceivedFile[], clearFlags = 0): void {
    const payload = message.payload;
    for (const key of ['content', 'embeds', 'components'] as const) {
      if (body[key] !== undefined) payload[key] = body[key] === null ? (key === 'content' ? '' : []) : body[key];
    }
    // Ephemerality is fixed at creation; an edit may change the other flags.
    const oldFlags = numberOr(payload['flags'], 0);
    const newFlags = typeof body['flags'] === 'number' ? body['flags'] | (oldFlags & FLAG_EPHEMERAL) : oldFlags;
    payload['flags'] = newFlags & ~clearFlags;
    this.applyAttachments(message, body, files, true);
    payload['edited_timestamp'] = new Date().toISOString();
    message.history.push(structuredClone(payload));
    this.changed();
  }

  deleteMessage(message: StoredMessage): void {
    const stored = this.channels.get(message.channelId);
    if (stored === undefined) return;
    const index = stored.messages.indexOf(message);
    if (index >= 0) stored.messages.splice(index, 1);
    this.changed();
  }

  attachmentBytes(attachmentId: string): ReceivedFile | null {
    for (const stored of this.channels.values()) {
      for (const message of stored.messages) {
        const index = arrayOr(message.payload['attachments']).findIndex((a) => (a as JsonObject)['id'] === attachmentId);
        if (index >= 0) return message.files[index] ?? null;
      }
    }
    return null;
  }

  /**
   * New files are appended; on an edit, an `attachments` array in the body lists the
   * existing attachments to keep (by id); without it every existing one stays.
   */
  private applyAttachments(message: StoredMessage, body: JsonObject, files: readonly ReceivedFile[], isEdit: boolean): void {
    let keptPayloads: Json[] = [];
    let keptFiles: ReceivedFile[] = [];
    const existing = arrayOr(message.payload['attachments']);
    if (isEdit) {
      const listed = body['attachments'];
      if (Array.isArray(listed)) {
        const keepIds = new Set(listed.map((a) => String((a as JsonObject)['id'])));
        existing.forEach((a, i) => {
          if (keepIds.has(String((a as JsonObject)['id']))) {
            keptPayloads.push(a);
            const file = message.files[i];
            if (file) keptFiles.push(file);
          }
        });
      } else {
        keptPayloads = existing;
        keptFiles = message.files;
      }
    }
    const added = files.map((file): JsonObject => {
      const attachmentId = newSnowflake();
      const url = `${this.attachmentBase()}/${message.channelId}/${attachmentId}/${encodeURIComponent(file.filename)}`;
      return { id: attachmentId, filename: file.filename, size: file.bytes.length, url, proxy_url: url, content_type: file.contentType };
    });
    message.payload['attachments'] = [...keptPayloads, ...added];
    message.files = [...keptFiles, ...files];
  }
}

function numberOr(value: Json | undefined, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

export function arrayOr(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}
