/**
 * An append-only list kept as fixed-size chunks, so "the newest N" reads a few keys instead of
 * the whole history (trade indexes, audit log).
 *
 * Layout: `<base>` holds the head `{ sealedChunks, items }` (the newest, still-growing chunk);
 * `<base>:<n>` holds sealed chunk n (0 = oldest). When the head is full it is first written as
 * the next sealed chunk, then the head is reset: a crash between the two writes leaves the old
 * head in place, and the next append rewrites the same sealed chunk with the same content.
 *
 * Not safe for two concurrent writers: callers serialise appends (one process holds the lease,
 * and the store runs its writes one at a time).
 */
import { StoreError } from '../errors.js';
import type { Kv } from './kv.js';

interface Head<T> {
  readonly sealedChunks: number;
  readonly items: readonly T[];
}

export class ChunkedList<T> {
  constructor(
    private readonly kv: Kv,
    private readonly baseKey: string,
    private readonly chunkSize: number,
    private readonly isItem: (value: unknown) => value is T,
  ) {}

  /**
   * Appends `item`. With `sameAs`, an item already in the head is not appended again (makes a
   * retried append after a crash a no-op in the common case; readers still de-duplicate).
   * Returns false when the item was already there.
   */
  async append(item: T, sameAs?: (a: T, b: T) => boolean): Promise<boolean> {
    const head = await this.readHead();
    if (sameAs !== undefined && head.items.some((existing) => sameAs(existing, item))) return false;
    const items = [...head.items, item];
    if (items.length >= this.chunkSize) {
      await this.kv.set(`${this.baseKey}:${head.sealedChunks}`, items);
      await this.kv.set(this.baseKey, { sealedChunks: head.sealedChunks + 1, items: [] } satisfies Head<T>);
    } else {
      await this.kv.set(this.baseKey, { sealedChunks: head.sealedChunks, items } satisfies Head<T>);
    }
    return true;
  }

  /** Up to `limit` items, newest first (append order). Reads the head, then older chunks as needed. */
  async newest(limit: number): Promise<T[]> {
    if (limit <= 0) return [];
    const head = await this.readHead();
    const out = [...head.items].reverse().slice(0, limit);
    for (let chunk = head.sealedChunks - 1; chunk >= 0 && out.length < limit; chunk--) {
      const items = await this.readChunk(chunk);
      for (let i = items.length - 1; i >= 0 && out.length < limit; i--) {
        const item = items[i];
        if (item !== undefined) out.push(item);
      }
    }
    return out;
  }

  private async readHead(): Promise<Head<T>> {
    const value = await this.kv.get(this.baseKey);
    if (value === undefined) return { sealedChunks: 0, items: [] };
    if (
      typeof value !== 'object' ||
      value === null ||
      !('sealedChunks' in value) ||
      !('items' in value) ||
      typeof value.sealedChunks !== 'number' ||
      !Number.isInteger(value.sealedChunks) ||
      value.sealedChunks < 0 ||
      !Array.isArray(value.items) ||
      !value.items.every(this.isItem)
    ) {
      throw new StoreError(`${this.kv.where}: list head "${this.baseKey}" has an unexpected shape; the store looks corrupt`);
    }
    return { sealedChunks: value.sealedChunks, items: value.items };
  }

  private async readChunk(chunk: number): Promise<readonly T[]> {
    const key = `${this.baseKey}:${chunk}`;
    const value = await this.kv.get(key);
    // A missing sealed chunk cannot come from a crash (it is written before the head moves on).
    if (value === undefined) throw new StoreError(`${this.kv.where}: list chunk "${key}" is missing; the store looks corrupt`);
    if (!Array.isArray(value) || !value.every(this.isItem)) {
      throw new StoreError(`${this.kv.where}: list chunk "${key}" has an unexpected shape; the store looks corrupt`);
    }
    return value;
  }
}
