/**
 * Memory watch (BLUEPRINT "Further optimisations" 4): training is skipped while this process
 * uses more than 80 % of the container limit: the cgroup's limit when one is set (v2
 * `memory.max`, v1 `memory.limit_in_bytes`), else MEMORY_LIMIT_MB (default 512). Usage is
 * the process's resident set (the cgroup's own usage counts page cache the kernel reclaims).
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

export interface MemoryReading {
  readonly usedBytes: number;
  /** Where the limit came from, for the log line. */
  readonly limitBytes: number;
  readonly limitSource: 'cgroup' | 'MEMORY_LIMIT_MB';
}

export const TRAINING_MEMORY_SHARE = 0.8;

function readNumber(path: string): number | null {
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text === 'max') return null;
    const value = Number(text);
    return Number.isFinite(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

/** The container limit in bytes from the cgroup, or null when none is set (or it is above the host's RAM). */
export function cgroupLimitBytes(root = '/sys/fs/cgroup'): number | null {
  const limit = readNumber(`${root}/memory.max`) ?? readNumber(`${root}/memory/memory.limit_in_bytes`);
  return limit !== null && limit < totalmem() ? limit : null;
}

export function readMemory(fallbackLimitMb: number, root?: string): MemoryReading {
  const cgroup = cgroupLimitBytes(root);
  return {
    usedBytes: process.memoryUsage().rss,
    limitBytes: cgroup ?? fallbackLimitMb * 1024 * 1024,
    limitSource: cgroup === null ? 'MEMORY_LIMIT_MB' : 'cgroup',
  };
}

/** null when training may run, else why it may not. */
export function memoryGuard(reading: MemoryReading, share = TRAINING_MEMORY_SHARE): string | null {
  const usedRate = reading.usedBytes / reading.limitBytes;
  if (usedRate <= share) return null;
  const mb = (b: number): string => (b / 1024 / 1024).toFixed(0);
  return `memory use ${mb(reading.usedBytes)} MB is ${(usedRate * 100).toFixed(0)} % of the ${mb(reading.limitBytes)} MB limit (${reading.limitSource}), above ${(share * 100).toFixed(0)} %`;
}
