/**
 * The engine's persistence (the `Store` port) on keyv, plus the small repositories later
 * features use: model versions, daily reports, Discord subscriptions, audit log.
 * STORE_URL picks the backend: `sqlite://state/state.sqlite` (default), `postgres://…`, `redis://…`.
 *
 * Key layout (all under the keyv namespace, default `trader`):
 *   store:meta                    { schema: 1, createdAt }  – written once; read first as the open probe
 *   engine:snapshot               EngineSnapshot            – ONE key, so a save is one atomic write
 *   trade:<id>                    TradeRecord
 *   trades:pending                string[]                  – ids whose indexing has started, not finished
 *   trades:day:<YYYY-MM-DD>       string[]                  – ids closed that UTC day
 *   trades:sym:<symbol>[:<n>]     chunked list of ids       – per symbol (see ChunkedList)
 *   trades:all[:<n>]              chunked list of ids       – every trade, for recentTrades
 *   model:<version>, models:index ModelVersionRecord, ModelVersionSummary[]
 *   report:<day>, reports:days    DailyReportRecord, string[] (sorted)
 *   subscriptions                 Subscription[]
 *   discord:outbox                the Discord notifier's undelivered notices (src/discord/outbox.ts)
 *   audit[:<n>]                   chunked list of AuditEntry
 *
 * Crash safety of putTrade (the store offers no multi-key transactions on all backends):
 *   1. add the id to `trades:pending`, 2. write `trade:<id>`, 3. add the id to the day, symbol
 *   and global indexes, 4. remove it from `trades:pending`.
 * A crash anywhere leaves the id in `trades:pending`; the next open finishes the indexing (or
 * drops the id if its record was never written, i.e. putTrade never returned). Readers tolerate
 * an index entry whose record is missing and de-duplicate ids, and a putTrade of an id that is
 * stored and not pending changes nothing (the first record stored under an id wins).
 *
 * The model-version, daily-report and subscription repositories live in repositories.ts.
 *
 * Writes run one at a time inside this process; one process per account holds the lease
 * (`lease.ts`), so there is a single writer.
 */
import type { AuditEntry, Clock, EngineSnapshot, Logger, Store, StoredDocument } from '../engine/ports.js';
import type { TradeRecord } from '../engine/types.js';
import { StoreError, UserInputError, describeError } from '../errors.js';
import { ChunkedList } from './chunked-list.js';
import { openKv } from './kv.js';
import type { Kv } from './kv.js';
import { KEY, readIdList } from './keys.js';
import { isUtcDay, utcDayOf } from '../engine/utc-day.js';
import { isAuditEntry, isSnapshotV1, isString, isTradeRecord } from './records.js';
import {
  KvDailyReports,
  KvDocument,
  KvModelVersions,
  KvSubscriptions,
  type DailyReportRepository,
  type ModelVersionRepository,
  type StoreAccess,
  type SubscriptionRepository,
} from './repositories.js';
import { parseStoreUrl } from './url.js';
import type { StoreBackend } from './url.js';

export const STORE_SCHEMA = 1;
export const DEFAULT_NAMESPACE = 'trader';
/** Entries per sealed index chunk: recentTrades(50) reads the head and at most one chunk. */
export const DEFAULT_INDEX_CHUNK_SIZE = 256;

export interface OpenStoreOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** keyv namespace; tests use a fresh one per run. Default `trader`. */
  readonly namespace?: string;
  /** Entries per sealed chunk of the trade indexes and the audit log (default 256). Fixed per store. */
  readonly indexChunkSize?: number;
}

export type { DailyReportRepository, ModelVersionRepository, SubscriptionRepository } from './repositories.js';

export interface AuditRepository {
  append(entry: AuditEntry): Promise<void>;
  /** The newest `limit` entries, newest first. */
  recent(limit: number): Promise<AuditEntry[]>;
}

function byClosedDesc(a: TradeRecord, b: TradeRecord): number {
  return b.closedAt - a.closedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) throw new UserInputError(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}

export class KeyvStore implements Store {
  readonly modelVersions: ModelVersionRepository;
  readonly learningSamples: StoredDocument;
  readonly dailyReports: DailyReportRepository;
  readonly subscriptions: SubscriptionRepository;
  readonly outbox: StoredDocument;
  readonly audit: AuditRepository;

  private readonly allTrades: ChunkedList<string>;
  private readonly auditLog: ChunkedList<AuditEntry>;
  private writeChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** Use `openStore`, which probes the backend and finishes interrupted writes. */
  constructor(
    private readonly kv: Kv,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly chunkSize: number = DEFAULT_INDEX_CHUNK_SIZE,
  ) {
    this.allTrades = new ChunkedList(kv, KEY.allTrades, chunkSize, isString);
    this.auditLog = new ChunkedList(kv, KEY.audit, chunkSize, isAuditEntry);
    const access: StoreAccess = {
      kv,
      clock,
      assertOpen: () => this.assertOpen(),
      exclusive: (fn) => this.exclusive(fn),
    };
    this.modelVersions = new KvModelVersions(access);
    this.learningSamples = new KvDocument(access, KEY.learningSamples);
    this.dailyReports = new KvDailyReports(access);
    this.subscriptions = new KvSubscriptions(access);
    this.outbox = new KvDocument(access, KEY.outbox);
    this.audit = {
      append: (entry) => this.appendAudit(entry),
      recent: (limit) => this.recentAudit(limit),
    };
  }

  get backend(): StoreBackend {
    return this.kv.backend;
  }

  /** Reads (and on a fresh store writes) `store:meta`; the first I/O, so a broken store fails here. */
  async init(): Promise<void> {
    await this.kv.prepare();
    const meta = await this.kv.get(KEY.meta);
    if (meta === undefined) {
      await this.kv.set(KEY.meta, { schema: STORE_SCHEMA, createdAt: this.clock.now() });
    } else if (typeof meta !== 'object' || meta === null || !('schema' in meta) || meta.schema !== STORE_SCHEMA) {
      const schema = typeof meta === 'object' && meta !== null && 'schema' in meta ? String(meta.schema) : 'unknown';
      throw new StoreError(
        `${this.kv.where}: store schema ${schema} is not supported by this build (expects ${STORE_SCHEMA}); nothing was changed`,
      );
    }
    await this.exclusive(() => this.finishPendingTrades());
  }

  // ---- Store port -------------------------------------------------------------------------

  async loadSnapshot(): Promise<EngineSnapshot | null> {
    this.assertOpen();
    const value = await this.kv.get(KEY.snapshot);
    if (value === undefined) return null;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new StoreError(`${this.kv.where}: the engine snapshot is not an object; the store looks corrupt, nothing was changed`);
    }
    const record = value as Record<string, unknown>;
    if (record['version'] !== 1) {
      throw new StoreError(
        `${this.kv.where}: the engine snapshot has version ${JSON.stringify(record['version'])}, this build reads version 1; ` +
          'it was left untouched (run the build that wrote it, or migrate it)',
      );
    }
    if (!isSnapshotV1(record)) {
      throw new StoreError(`${this.kv.where}: the engine snapshot is missing fields; the store looks corrupt, nothing was changed`);
    }
    return record;
  }

  async saveSnapshot(snapshot: EngineSnapshot): Promise<void> {
    if (snapshot.version !== 1) throw new StoreError(`cannot save an engine snapshot of version ${String(snapshot.version)}`);
    await this.exclusive(() => this.kv.set(KEY.snapshot, snapshot));
  }

  async putTrade(trade: TradeRecord): Promise<void> {
    if (!isTradeRecord(trade))
      throw new StoreError(`cannot store trade ${JSON.stringify((trade as { id?: unknown }).id)}: missing id, symbol or times`);
    await this.exclusive(async () => {
      const pending = await this.readPending();
      const isPending = pending.includes(trade.id);
      const existing = await this.readTrade(trade.id);
      if (existing !== null && !isPending) return; // stored and indexed: idempotent
      if (!isPending) await this.kv.set(KEY.pending, [...pending, trade.id]);
      const record = existing ?? trade;
      if (existing === null) await this.kv.set(KEY.trade(trade.id), trade);
      await this.indexTrade(record);
      await this.kv.set(
        KEY.pending,
        (await this.readPending()).filter((id) => id !== trade.id),
      );
    });
  }

  /** The trades that closed on a UTC day ('YYYY-MM-DD'), oldest first. */
  async tradesByDay(dayUtc: string): Promise<TradeRecord[]> {
    this.assertOpen();
    if (!isUtcDay(dayUtc)) throw new UserInputError(`day must be a UTC date YYYY-MM-DD, got "${dayUtc}"`);
    const ids = await readIdList(this.kv, KEY.day(dayUtc));
    return (await this.readTrades(ids)).sort((a, b) => -byClosedDesc(a, b));
  }

  /** The newest `limit` trades of a symbol, newest close first. */
  async tradesBySymbol(symbol: string, limit: number): Promise<TradeRecord[]> {
    this.assertOpen();
    checkLimit(limit);
    return this.newestFrom(new ChunkedList(this.kv, KEY.symbol(symbol), this.chunkSize, isString), limit);
  }

  /** The newest `limit` trades of any symbol, newest close first. */
  async recentTrades(limit: number): Promise<TradeRecord[]> {
    this.assertOpen();
    checkLimit(limit);
    return this.newestFrom(this.allTrades, limit);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    if (!isAuditEntry(entry)) throw new StoreError('cannot store an audit entry without at, actor, action, detail and result');
    await this.exclusive(() => this.auditLog.append(entry));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued writes land before the connection goes.
    await this.writeChain.catch(() => undefined);
    this.closed = true;
    await this.kv.close();
    this.logger.info('store closed', { backend: this.kv.backend });
  }

  // ---- trades -----------------------------------------------------------------------------

  private async indexTrade(trade: TradeRecord): Promise<void> {
    const dayKey = KEY.day(utcDayOf(trade.closedAt));
    const dayIds = await readIdList(this.kv, dayKey);
    if (!dayIds.includes(trade.id)) await this.kv.set(dayKey, [...dayIds, trade.id]);
    const same = (a: string, b: string) => a === b;
    await new ChunkedList(this.kv, KEY.symbol(trade.symbol), this.chunkSize, isString).append(trade.id, same);
    await this.allTrades.append(trade.id, same);
  }

  private async finishPendingTrades(): Promise<void> {
    const pending = await this.readPending();
    if (pending.length === 0) return;
    let finished = 0;
    for (const id of pending) {
      const trade = await this.readTrade(id);
      if (trade !== null) {
        await this.indexTrade(trade);
        finished++;
      }
    }
    await this.kv.set(KEY.pending, []);
    this.logger.warn('store: finished trade writes interrupted by a crash', {
      pendingTrades: pending.length,
      reindexed: finished,
      dropped: pending.length - finished,
    });
  }

  private async newestFrom(list: ChunkedList<string>, limit: number): Promise<TradeRecord[]> {
    if (limit === 0) return [];
    // A few extra ids cover duplicates left by a crash; readTrades de-duplicates.
    const ids = await list.newest(limit + 8);
    return (await this.readTrades(ids)).sort(byClosedDesc).slice(0, limit);
  }

  private async readTrades(ids: readonly string[]): Promise<TradeRecord[]> {
    const unique = [...new Set(ids)];
    const values = await this.kv.getMany(unique.map(KEY.trade));
    const trades: TradeRecord[] = [];
    values.forEach((value, i) => {
      if (value === undefined) return; // index entry whose record was never written: skip
      if (!isTradeRecord(value)) {
        throw new StoreError(`${this.kv.where}: trade "${unique[i] ?? '?'}" has an unexpected shape; the store looks corrupt`);
      }
      trades.push(value);
    });
    return trades;
  }

  private async readTrade(id: string): Promise<TradeRecord | null> {
    const value = await this.kv.get(KEY.trade(id));
    if (value === undefined) return null;
    if (!isTradeRecord(value)) throw new StoreError(`${this.kv.where}: trade "${id}" has an unexpected shape; the store looks corrupt`);
    return value;
  }

  private readPending(): Promise<string[]> {
    return readIdList(this.kv, KEY.pending);
  }

  // ---- audit ------------------------------------------------------------------------------

  private async recentAudit(limit: number): Promise<AuditEntry[]> {
    this.assertOpen();
    return this.auditLog.newest(checkLimit(limit));
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new StoreError(`${this.kv.where}: the store is closed`);
  }

  /** Runs `fn` after every earlier write of this store (read-modify-write of index keys). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    const run = this.writeChain.then(fn, fn);
    this.writeChain = run.catch(() => undefined);
    return run;
  }
}

/**
 * Opens the store named by STORE_URL (see the module comment). The first read happens here, so
 * an unreachable server, a file that is not a database, or an unsupported schema fails at start
 * with a StoreError — and nothing existing is overwritten.
 */
export async function openStore(storeUrl: string, options: OpenStoreOptions): Promise<KeyvStore> {
  const location = parseStoreUrl(storeUrl);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const logger = options.logger.child('store');
  const kv = openKv(location, namespace);
  const chunkSize = options.indexChunkSize ?? DEFAULT_INDEX_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 2) throw new StoreError(`indexChunkSize must be an integer ≥ 2, got ${chunkSize}`);
  const store = new KeyvStore(kv, options.clock, logger, chunkSize);
  try {
    await store.init();
  } catch (error) {
    await kv.close().catch(() => undefined);
    const message = error instanceof StoreError ? error.message : `${kv.where}: cannot open: ${describeError(error)}`;
    logger.error('store unusable', { backend: location.backend, error: message });
    throw error instanceof StoreError ? error : new StoreError(message, { cause: error });
  }
  logger.info('store opened', { backend: location.backend, where: kv.where, namespace });
  return store;
}
