/** One benchmark figure, printed as one JSON line by `npm run bench`. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: 'ms' | 'candles/s' | 'MB' | 'ops/s' | 'requests' | 'weight' | 'count' | 'ratio';
  readonly baseline?: string | number;
  readonly note?: string;
}

export type Emit = (figure: Figure) => void;

/** A benchmark module exports `run(emit)`; `bench/run.ts` runs every `bench/*.bench.ts`. */
export type BenchModule = { run(emit: Emit): Promise<void> };

export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const index = Math.min(sortedAscending.length - 1, Math.ceil((p / 100) * sortedAscending.length) - 1);
  return sortedAscending[Math.max(0, index)] ?? Number.NaN;
}

export function rssMb(): number {
  return Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10;
}
