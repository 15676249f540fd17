/**
 * The Discord notifier's outbox as one document (`discord:outbox`): what was not delivered
 * yet survives a restart. The outbox (src/discord/outbox.ts) owns the document's shape; the
 * store only keeps it, on the same write queue as everything else.
 */
import { KEY } from './keys.js';
import type { StoreAccess } from './repositories.js';

export interface OutboxDocumentRepository {
  /** The stored document, or null when none was written. */
  load(): Promise<unknown>;
  save(document: unknown): Promise<void>;
}

export class KvOutboxDocument implements OutboxDocumentRepository {
  constructor(private readonly s: StoreAccess) {}

  async load(): Promise<unknown> {
    this.s.assertOpen();
    return (await this.s.kv.get(KEY.outbox)) ?? null;
  }

  async save(document: unknown): Promise<void> {
    await this.s.exclusive(() => this.s.kv.set(KEY.outbox, document));
  }
}
