/**
 * The small repositories of the store (model versions, daily reports, Discord
 * subscriptions) on the same keyv namespace and write queue as the engine's data (store.ts).
 */
import type { Clock, StoredDocument } from '../engine/ports.js';
import { StoreError, UserInputError } from '../errors.js';
import { KEY, readIdList } from './keys.js';
import type { Kv } from './kv.js';
import { isUtcDay } from '../engine/utc-day.js';
import { isDailyReportRecord, isModelVersionRecord, isModelVersionSummary, isSubscription } from './records.js';
import type { DailyReportRecord, ModelVersionRecord, ModelVersionSummary, Subscription, SubscriptionKind } from './records.js';

/** What the repositories share with the store: its key-value backend, clock and write queue. */
export interface StoreAccess {
  readonly kv: Kv;
  readonly clock: Clock;
  /** Throws once the store is closed. */
  assertOpen(): void;
  /** Runs `fn` after every earlier write of the store (read-modify-write of index keys). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export interface ModelVersionRepository {
  /** Insert or replace (e.g. to mark a version promoted). */
  put(record: ModelVersionRecord): Promise<void>;
  get(version: string): Promise<ModelVersionRecord | null>;
  /** Every version, newest `createdAt` first, without the model payloads. */
  list(): Promise<ModelVersionSummary[]>;
  /** The newest version (by `createdAt`), or the newest promoted one. */
  latest(options?: { readonly promotedOnly?: boolean }): Promise<ModelVersionRecord | null>;
}

export interface DailyReportRepository {
  /** Insert or replace the report of `record.day`. */
  put(record: DailyReportRecord): Promise<void>;
  get(dayUtc: string): Promise<DailyReportRecord | null>;
  /** The report of the most recent day. */
  latest(): Promise<DailyReportRecord | null>;
  /** Days with a report, oldest first. */
  days(): Promise<string[]>;
}

export interface SubscriptionRepository {
  /** Subscribes the channel to `kinds` (merged with what it already has); returns the result. */
  add(channelId: string, kinds: readonly SubscriptionKind[]): Promise<Subscription>;
  /** Removes `kinds` (all when omitted); returns what remains, or null when nothing does. */
  remove(channelId: string, kinds?: readonly SubscriptionKind[]): Promise<Subscription | null>;
  /** Every subscription, or only those that include `kind`. */
  list(kind?: SubscriptionKind): Promise<Subscription[]>;
}

/**
 * One document under `key`, on the store's write queue: the learning samples (their shape is
 * checked by the learner) and the Discord outbox (checked by the outbox).
 */
export class KvDocument implements StoredDocument {
  constructor(
    private readonly s: StoreAccess,
    private readonly key: string,
  ) {}

  async load(): Promise<unknown> {
    this.s.assertOpen();
    return (await this.s.kv.get(this.key)) ?? null;
  }

  async save(document: unknown): Promise<void> {
    await this.s.exclusive(() => this.s.kv.set(this.key, document));
  }
}

/** Model versions: `model:<version>` records and the `models:index` of summaries. */
export class KvModelVersions implements ModelVersionRepository {
  constructor(private readonly s: StoreAccess) {}

  async put(record: ModelVersionRecord): Promise<void> {
    if (!isModelVersionRecord(record) || record.version === '')
      throw new StoreError('cannot store a model version without version, createdAt, promoted and metrics');
    const { kv } = this.s;
    await this.s.exclusive(async () => {
      // Record first, then the index: an index entry always has its record.
      await kv.set(KEY.model(record.version), record);
      const summary: ModelVersionSummary = {
        version: record.version,
        createdAt: record.createdAt,
        promoted: record.promoted,
        metrics: record.metrics,
      };
      const index = (await this.readIndex()).filter((s) => s.version !== record.version);
      await kv.set(KEY.modelIndex, [...index, summary]);
    });
  }

  async get(version: string): Promise<ModelVersionRecord | null> {
    this.s.assertOpen();
    const value = await this.s.kv.get(KEY.model(version));
    if (value === undefined) return null;
    if (!isModelVersionRecord(value)) throw new StoreError(`${this.s.kv.where}: model version "${version}" has an unexpected shape`);
    return value;
  }

  async list(): Promise<ModelVersionSummary[]> {
    this.s.assertOpen();
    // Stable sort on the put order: equal createdAt keeps the later put first after reverse.
    return (await this.readIndex()).reverse().sort((a, b) => b.createdAt - a.createdAt);
  }

  async latest(options?: { readonly promotedOnly?: boolean }): Promise<ModelVersionRecord | null> {
    const promotedOnly = options?.promotedOnly ?? false;
    const newest = (await this.list()).find((s) => !promotedOnly || s.promoted);
    return newest === undefined ? null : this.get(newest.version);
  }

  private async readIndex(): Promise<ModelVersionSummary[]> {
    const value = await this.s.kv.get(KEY.modelIndex);
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isModelVersionSummary)) {
      throw new StoreError(`${this.s.kv.where}: "${KEY.modelIndex}" has an unexpected shape; the store looks corrupt`);
    }
    return value;
  }
}

/** Daily reports: `report:<day>` records and the sorted `reports:days`. */
export class KvDailyReports implements DailyReportRepository {
  constructor(private readonly s: StoreAccess) {}

  async put(record: DailyReportRecord): Promise<void> {
    if (!isDailyReportRecord(record))
      throw new StoreError('cannot store a daily report without a UTC day, generatedAt, report and markdown');
    const { kv } = this.s;
    await this.s.exclusive(async () => {
      await kv.set(KEY.report(record.day), record);
      const days = await this.days();
      if (!days.includes(record.day)) await kv.set(KEY.reportDays, [...days, record.day].sort());
    });
  }

  async get(dayUtc: string): Promise<DailyReportRecord | null> {
    this.s.assertOpen();
    if (!isUtcDay(dayUtc)) throw new UserInputError(`day must be a UTC date YYYY-MM-DD, got "${dayUtc}"`);
    const value = await this.s.kv.get(KEY.report(dayUtc));
    if (value === undefined) return null;
    if (!isDailyReportRecord(value)) throw new StoreError(`${this.s.kv.where}: daily report ${dayUtc} has an unexpected shape`);
    return value;
  }

  async latest(): Promise<DailyReportRecord | null> {
    const days = await this.days();
    const last = days[days.length - 1];
    return last === undefined ? null : this.get(last);
  }

  async days(): Promise<string[]> {
    this.s.assertOpen();
    const days = await readIdList(this.s.kv, KEY.reportDays);
    if (!days.every(isUtcDay)) throw new StoreError(`${this.s.kv.where}: "${KEY.reportDays}" holds something that is not a day`);
    return days;
  }
}

/** Discord subscriptions: one `subscriptions` list. */
export class KvSubscriptions implements SubscriptionRepository {
  constructor(private readonly s: StoreAccess) {}

  async add(channelId: string, kinds: readonly SubscriptionKind[]): Promise<Subscription> {
    if (channelId === '' || kinds.length === 0) throw new UserInputError('a subscription needs a channel id and at least one kind');
    return this.s.exclusive(async () => {
      const all = await this.list();
      const current = all.find((s) => s.channelId === channelId);
      const merged: Subscription = {
        channelId,
        kinds: [...new Set([...(current?.kinds ?? []), ...kinds])].sort(),
        addedAt: current?.addedAt ?? this.s.clock.now(),
      };
      await this.s.kv.set(KEY.subscriptions, [...all.filter((s) => s.channelId !== channelId), merged]);
      return merged;
    });
  }

  async remove(channelId: string, kinds?: readonly SubscriptionKind[]): Promise<Subscription | null> {
    return this.s.exclusive(async () => {
      const all = await this.list();
      const current = all.find((s) => s.channelId === channelId);
      if (current === undefined) return null;
      const remainingKinds = kinds === undefined ? [] : current.kinds.filter((k) => !kinds.includes(k));
      const others = all.filter((s) => s.channelId !== channelId);
      const remaining: Subscription | null = remainingKinds.length === 0 ? null : { ...current, kinds: remainingKinds };
      await this.s.kv.set(KEY.subscriptions, remaining === null ? others : [...others, remaining]);
      return remaining;
    });
  }

  async list(kind?: SubscriptionKind): Promise<Subscription[]> {
    this.s.assertOpen();
    const value = await this.s.kv.get(KEY.subscriptions);
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isSubscription)) {
      throw new StoreError(`${this.s.kv.where}: "${KEY.subscriptions}" has an unexpected shape; the store looks corrupt`);
    }
    return kind === undefined ? value : value.filter((s) => s.kinds.includes(kind));
  }
}
