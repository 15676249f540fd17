/**
 * The notifier's outbox: reports, alerts and trade notices go to every channel subscribed
 * to their kind, without ever blocking the engine. `notify` only queues (synchronously,
 * never throws); a drain loop delivers in order, retries with exponential back-off while
 * Discord is unreachable, merges floods (the same key replaces the queued notice and counts
 * the repeat; trade notices beyond a threshold fold into one digest), drops the least
 * important notices first when full, and persists the queue so a restart loses nothing.
 */
import type { Clock, Logger, Notice, NoticeAttachment, NoticeKind, Notifier, StoredDocument } from '../engine/ports.js';
import { describeError } from '../errors.js';

/** Where a notice goes and how it is sent (the Discord side; a fake in tests). */
export interface NoticeDelivery {
  /** Channel ids subscribed to this kind of notice. */
  channelsFor(kind: NoticeKind): Promise<readonly string[]>;
  /** Posts the notice; throws `PermanentDeliveryError` when retrying cannot help. */
  send(channelId: string, notice: Notice, repeats: number): Promise<void>;
}

/** Where the queue survives a restart (the store's `discord:outbox` document). */
export type OutboxPersistence = StoredDocument;

/** The channel is gone or the bot may not post there: skip it for this notice. */
export class PermanentDeliveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentDeliveryError';
  }
}

export interface OutboxOptions {
  readonly clock: Clock;
  readonly delivery: NoticeDelivery;
  readonly persistence: OutboxPersistence | null;
  readonly logger: Logger;
  /** Queued notices at most (default 100). */
  readonly capacity?: number;
  /** Queued trade notices beyond this fold into one digest (default 10). */
  readonly tradeFloodThreshold?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

interface QueuedNotice {
  readonly id: number;
  notice: Notice;
  repeats: number;
  /** Channels already served (sent, or skipped for good). */
  readonly done: string[];
  attempts: number;
  nextAttemptAt: number;
}

interface StoredNotice extends Omit<QueuedNotice, 'notice'> {
  readonly notice: Omit<Notice, 'attachments'> & {
    readonly attachments?: readonly (Omit<NoticeAttachment, 'data'> & { readonly base64: string })[];
  };
}

const DOCUMENT_VERSION = 1;
const SEVERITY_RANK: Readonly<Record<Notice['severity'], number>> = { info: 0, warning: 1, critical: 2 };

export interface OutboxStats {
  readonly queued: number;
  readonly sent: number;
  readonly merged: number;
  readonly dropped: number;
  readonly failedAttempts: number;
  readonly lastError: string | null;
}

export class Outbox implements Notifier {
  private queue: QueuedNotice[] = [];
  private nextId = 1;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private cancelTimer: (() => void) | null = null;
  private saving: Promise<void> = Promise.resolve();
  /** The queue changed since the last write started / a write is in flight (`persist`). */
  private unsaved = false;
  private writing = false;
  private stopped = false;
  private readonly log: Logger;
  private counters = { sent: 0, merged: 0, dropped: 0, failedAttempts: 0 };
  private lastError: string | null = null;

  constructor(private readonly options: OutboxOptions) {
    this.log = options.logger.child('outbox');
  }

  /** Loads what a previous run left queued and starts delivering it. */
  async start(): Promise<void> {
    if (this.options.persistence !== null) {
      try {
        const restored = parseDocument(await this.options.persistence.load());
        // Notices queued meanwhile (before start) stay behind the restored ones.
        this.queue = [...restored, ...this.queue];
        this.nextId = Math.max(this.nextId, ...this.queue.map((q) => q.id + 1));
        if (restored.length > 0) this.log.info(`${restored.length} notice(s) left from the last run will be delivered`);
      } catch (error) {
        this.log.error(`could not load the outbox (starting empty): ${describeError(error)}`);
      }
    }
    for (const item of this.queue) item.nextAttemptAt = Math.min(item.nextAttemptAt, this.options.clock.now());
    this.kick();
  }

  /** Queues a notice. Never throws, never waits. */
  notify(notice: Notice): void {
    try {
      if (this.stopped) return;
      this.enqueue(notice);
      this.persist();
      this.kick();
    } catch (error) {
      this.log.error(`could not queue a notice (${notice.key}): ${describeError(error)}`);
    }
  }

  stats(): OutboxStats {
    return { queued: this.queue.length, ...this.counters, lastError: this.lastError };
  }

  /** Stops delivering and writes the queue for the next run. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.draining?.catch(() => undefined);
    this.persist();
    await this.saving;
  }

  /** Resolves when nothing is due any more (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  // ── queueing ─────────────────────────────────────────────────────────────

  private enqueue(notice: Notice): void {
    const capacity = this.options.capacity ?? 100;
    // The same condition again, not yet sent anywhere: the newer notice replaces it.
    const same = this.queue.find((q) => q.notice.key === notice.key && q.done.length === 0);
    if (same !== undefined) {
      same.notice = {
        ...notice,
        severity: SEVERITY_RANK[notice.severity] >= SEVERITY_RANK[same.notice.severity] ? notice.severity : same.notice.severity,
      };
      same.repeats++;
      this.counters.merged++;
      return;
    }
    const threshold = this.options.tradeFloodThreshold ?? 10;
    if (notice.kind === 'trade') {
      const trades = this.queue.filter((q) => q.notice.kind === 'trade' && q.done.length === 0);
      const digest = trades.at(-1);
      if (trades.length >= threshold && digest !== undefined) {
        digest.repeats++;
        digest.notice = {
          ...digest.notice,
          key: 'trades:digest',
          title: `${digest.repeats} trade notices`,
          // Keep the newest lines (a phone shows a screenful anyway).
          lines: [...digest.notice.lines, `${notice.title}: ${notice.lines.join(' · ')}`].slice(-20),
          at: notice.at,
        };
        this.counters.merged++;
        return;
      }
    }
    this.queue.push({ id: this.nextId++, notice, repeats: 1, done: [], attempts: 0, nextAttemptAt: this.options.clock.now() });
    while (this.queue.length > capacity) this.dropOne();
  }

  /** Drops the least important notice: trades first, then info, then the oldest. */
  private dropOne(): void {
    const rank = (q: QueuedNotice): number => (q.notice.kind === 'trade' ? 0 : 1) * 10 + SEVERITY_RANK[q.notice.severity];
    let victim = 0;
    for (let i = 1; i < this.queue.length; i++) if (rank(this.queue[i]!) < rank(this.queue[victim]!)) victim = i;
    const [dropped] = this.queue.splice(victim, 1);
    this.counters.dropped++;
    this.log.warn(`outbox full: dropped "${dropped?.notice.title ?? '?'}" (${dropped?.notice.kind ?? '?'})`);
  }

  // ── delivery ─────────────────────────────────────────────────────────────

  private kick(): void {
    if (this.stopped) return;
    if (this.draining !== null) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drain()
      .catch((error: unknown) => this.log.error(`outbox drain failed: ${describeError(error)}`))
      .finally(() => {
        this.draining = null;
        if (this.drainAgain) {
          this.drainAgain = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    const { clock } = this.options;
    while (!this.stopped) {
      const head = this.queue[0];
      if (head === undefined) return;
      if (head.nextAttemptAt > clock.now()) {
        this.schedule(head.nextAttemptAt - clock.now());
        return;
      }
      const ok = await this.deliver(head);
      if (!ok) {
        this.schedule(head.nextAttemptAt - clock.now());
        this.persist();
        return;
      }
      this.queue = this.queue.filter((q) => q !== head);
      this.counters.sent++;
      this.persist();
    }
  }

  /** Sends one notice to every subscribed channel not yet served; false on a temporary failure. */
  private async deliver(item: QueuedNotice): Promise<boolean> {
    try {
      const channels = await this.options.delivery.channelsFor(item.notice.kind);
      for (const channelId of channels) {
        if (item.done.includes(channelId)) continue;
        try {
          await this.options.delivery.send(channelId, item.notice, item.repeats);
          item.done.push(channelId);
        } catch (error) {
          if (!(error instanceof PermanentDeliveryError)) throw error;
          this.log.warn(`cannot post to channel ${channelId} (${error.message}); skipped for "${item.notice.title}"`);
          item.done.push(channelId);
        }
      }
      return true;
    } catch (error) {
      item.attempts++;
      this.counters.failedAttempts++;
      const initial = this.options.initialBackoffMs ?? 2_000;
      const backoff = Math.min(this.options.maxBackoffMs ?? 300_000, initial * 2 ** Math.min(item.attempts - 1, 20));
      item.nextAttemptAt = this.options.clock.now() + backoff;
      this.lastError = describeError(error);
      const level = item.attempts === 1 || item.attempts % 10 === 0 ? 'warn' : 'debug';
      this.log[level](
        `notice "${item.notice.title}" not delivered (attempt ${item.attempts}, retry in ${Math.round(backoff / 1000)} s): ${this.lastError}`,
      );
      return false;
    }
  }

  private schedule(ms: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.options.clock.setTimer(Math.max(0, ms), () => {
      this.cancelTimer = null;
      this.kick();
    });
  }

  // ── persistence ──────────────────────────────────────────────────────────

  /**
   * Marks the queue changed and writes it: one write at a time, and the changes made while
   * one is in flight go out together in the next (a burst of notices is two writes, not one
   * per notice, and attachments are encoded once per write). The queue is read when the
   * write starts, so the last state always wins.
   */
  private persist(): void {
    const persistence = this.options.persistence;
    if (persistence === null) return;
    this.unsaved = true;
    if (this.writing) return;
    this.writing = true;
    this.saving = this.writeWhileUnsaved(persistence);
  }

  private async writeWhileUnsaved(persistence: OutboxPersistence): Promise<void> {
    try {
      while (this.unsaved) {
        this.unsaved = false;
        try {
          await persistence.save({ version: DOCUMENT_VERSION, items: this.queue.map(toStored) });
        } catch (error) {
          this.log.warn(`could not save the outbox: ${describeError(error)}`);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}

function toStored(item: QueuedNotice): StoredNotice {
  const { attachments, ...rest } = item.notice;
  return {
    ...item,
    done: [...item.done],
    notice: {
      ...rest,
      ...(attachments === undefined
        ? {}
        : { attachments: attachments.map(({ data, ...meta }) => ({ ...meta, base64: Buffer.from(data).toString('base64') })) }),
    },
  };
}

function parseDocument(document: unknown): QueuedNotice[] {
  if (document === null || document === undefined) return [];
  if (
    typeof document !== 'object' ||
    (document as { version?: unknown }).version !== DOCUMENT_VERSION ||
    !Array.isArray((document as { items?: unknown }).items)
  ) {
    throw new Error('the stored outbox has an unexpected shape');
  }
  return (document as { items: StoredNotice[] }).items.map((stored) => {
    const { attachments, ...rest } = stored.notice;
    return {
      ...stored,
      done: [...stored.done],
      notice: {
        ...rest,
        ...(attachments === undefined
          ? {}
          : { attachments: attachments.map(({ base64, ...meta }) => ({ ...meta, data: new Uint8Array(Buffer.from(base64, 'base64')) })) }),
      },
    };
  });
}
