/**
 * Where the files of a data folder live (the layout of the bundled `data/` and of any full download in the same layout):
 * `candles/<S>-5m.csv[.gz]`, `mark/<S>-1h-mark.csv[.gz]`, `funding/<S>-funding.csv[.gz]`,
 * `exchange/filters.json`, `exchange/leverage-brackets.json`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../../errors.js';

export interface SymbolFiles {
  readonly symbol: string;
  readonly candles: string;
  /** null when the folder has no mark file for the symbol (mark = trade price then). */
  readonly mark: string | null;
  /** null when the folder has no funding file for the symbol (the paper venue charges the fallback rate then). */
  readonly funding: string | null;
}

export interface DataLayout {
  readonly dataDir: string;
  readonly filtersFile: string;
  readonly bracketsFile: string;
  /** Resolves one symbol's files; a missing candle file is a DataError. */
  files(symbol: string): SymbolFiles;
}

const CANDLE_SUFFIX = '-5m.csv';

/** The project's own `data/` folder, whatever the working directory. */
export function bundledDataDir(): string {
  // src/adapters/data/layout.ts → ../../../data
  return fileURLToPath(new URL('../../../data/', import.meta.url)).replace(/[\\/]$/, '');
}

export function dataLayout(dataDir: string): DataLayout {
  const dir = resolve(dataDir);
  return {
    dataDir: dir,
    filtersFile: join(dir, 'exchange', 'filters.json'),
    bracketsFile: join(dir, 'exchange', 'leverage-brackets.json'),
    files(symbol: string): SymbolFiles {
      const candleBase = join(dir, 'candles', `${symbol}${CANDLE_SUFFIX}`);
      const candles = firstExisting(candleBase);
      if (candles === null) {
        throw new DataError(`no candle file for ${symbol} (looked for ${candleBase}.gz and ${candleBase})`, candleBase);
      }
      return {
        symbol,
        candles,
        mark: firstExisting(join(dir, 'mark', `${symbol}-1h-mark.csv`)),
        funding: firstExisting(join(dir, 'funding', `${symbol}-funding.csv`)),
      };
    },
  };
}

/** Symbols that have a candle file in `dataDir/candles`, sorted. */
export function availableSymbols(dataDir: string): string[] {
  const candlesDir = join(resolve(dataDir), 'candles');
  let names: string[];
  try {
    names = readdirSync(candlesDir);
  } catch (error) {
    throw new DataError('candle folder not found or unreadable', candlesDir, null, { cause: error });
  }
  const symbols = new Set<string>();
  for (const name of names) {
    const base = name.endsWith('.gz') ? name.slice(0, -3) : name;
    if (base.endsWith(CANDLE_SUFFIX)) symbols.add(base.slice(0, -CANDLE_SUFFIX.length));
  }
  return [...symbols].sort();
}

/** `<base>.gz` if it is a file, else `<base>` if it is a file, else null. */
function firstExisting(base: string): string | null {
  for (const candidate of [`${base}.gz`, base]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}
