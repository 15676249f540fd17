/**
 * In-memory model versions and learning samples: the stand-ins for a store without the
 * learning repositories (the keyv store has `modelVersions` and `learningSamples`), used by
 * backtests and engine tests. Same contract; nothing outlives the process.
 */
import type { ModelVersionEntry, ModelVersionStore, SampleArchive } from '../engine/learning/service.js';

export class MemoryModelVersions implements ModelVersionStore {
  /** Every stored version by its name, in insertion order. */
  readonly entries = new Map<string, ModelVersionEntry>();
  async put(record: ModelVersionEntry): Promise<void> {
    this.entries.set(record.version, record);
  }
  async get(version: string): Promise<ModelVersionEntry | null> {
    return this.entries.get(version) ?? null;
  }
  async list(): Promise<Omit<ModelVersionEntry, 'model'>[]> {
    return this.newestFirst();
  }
  async latest(options?: { readonly promotedOnly?: boolean }): Promise<ModelVersionEntry | null> {
    return this.newestFirst().find((e) => !options?.promotedOnly || e.promoted) ?? null;
  }
  private newestFirst(): ModelVersionEntry[] {
    return [...this.entries.values()].sort((a, b) => b.createdAt - a.createdAt);
  }
}

export class MemorySampleArchive implements SampleArchive {
  private kept: unknown = null;
  async load(): Promise<unknown> {
    return this.kept;
  }
  async save(samples: unknown): Promise<void> {
    this.kept = samples;
  }
}
