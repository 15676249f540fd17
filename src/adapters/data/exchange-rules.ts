/**
 * Symbol rules (filters + leverage brackets) from `exchange/filters.json` and
 * `exchange/leverage-brackets.json`, for the paper exchange and backtests.
 * Live trading reads them from the exchange instead (PROVENANCE.md: dated snapshot).
 *
 * Synchronous on purpose: two small JSON files read once at start-up.
 */
import { readFileSync } from 'node:fs';
import type { LeverageBracket, SymbolFilters, SymbolRules } from '../../engine/types.js';
import { DataError } from '../../errors.js';
import { dataLayout } from './layout.js';

/**
 * Loads and validates the rules of `symbols`. Every problem is a DataError naming the
 * file and the symbol. MARKET_LOT_SIZE values default to the LOT_SIZE ones; unknown
 * max quantities are null; brackets come back sorted by `notionalFloor`.
 */
export function loadExchangeRules(dataDir: string, symbols: readonly string[]): Map<string, SymbolRules> {
  const layout = dataLayout(dataDir);
  const filtersDoc = readJson(layout.filtersFile);
  const bracketsDoc = readJson(layout.bracketsFile);

  const filtersBySymbol = field(filtersDoc, 'symbols');
  if (!isRecord(filtersBySymbol)) {
    throw new DataError('expected an object with a "symbols" object', layout.filtersFile);
  }
  if (!Array.isArray(bracketsDoc)) {
    throw new DataError('expected an array of { symbol, brackets }', layout.bracketsFile);
  }
  const bracketsBySymbol = new Map<string, unknown>();
  for (const entry of bracketsDoc) {
    const symbol = field(entry, 'symbol');
    if (typeof symbol === 'string') bracketsBySymbol.set(symbol, field(entry, 'brackets'));
  }

  const rules = new Map<string, SymbolRules>();
  for (const symbol of symbols) {
    const rawFilters = filtersBySymbol[symbol];
    if (rawFilters === undefined) throw new DataError(`no filters for ${symbol}`, layout.filtersFile);
    const rawBrackets = bracketsBySymbol.get(symbol);
    if (rawBrackets === undefined) throw new DataError(`no leverage brackets for ${symbol}`, layout.bracketsFile);
    rules.set(symbol, {
      symbol,
      filters: parseFilters(rawFilters, symbol, layout.filtersFile),
      brackets: parseBrackets(rawBrackets, symbol, layout.bracketsFile),
    });
  }
  return rules;
}

function parseFilters(raw: unknown, symbol: string, file: string): SymbolFilters {
  if (!isRecord(raw)) throw new DataError(`${symbol}: filters must be an object`, file);
  const positive = (name: string): number => {
    const value = raw[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new DataError(`${symbol}: ${name} must be a positive number, got ${JSON.stringify(value)}`, file);
    }
    return value;
  };
  const optionalPositive = (name: string): number | null => (raw[name] === undefined || raw[name] === null ? null : positive(name));
  const stepSize = positive('stepSize');
  const minQty = positive('minQty');
  const minNotional = raw['minNotional'];
  if (minNotional !== null && minNotional !== undefined && (typeof minNotional !== 'number' || !(minNotional >= 0))) {
    throw new DataError(`${symbol}: minNotional must be null or a number ≥ 0, got ${JSON.stringify(minNotional)}`, file);
  }
  return {
    tickSize: positive('tickSize'),
    stepSize,
    minQty,
    maxQty: optionalPositive('maxQty'),
    marketStepSize: optionalPositive('marketStepSize') ?? stepSize,
    marketMinQty: optionalPositive('marketMinQty') ?? minQty,
    marketMaxQty: optionalPositive('marketMaxQty'),
    minNotional: minNotional ?? null,
  };
}

/** Brackets must tile [0, last cap) without holes, leverage ≥ 1 and 0 < maintMarginRatio < 1. */
function parseBrackets(raw: unknown, symbol: string, file: string): LeverageBracket[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new DataError(`${symbol}: brackets must be a non-empty array`, file);
  const brackets = raw.map((entry: unknown, index): LeverageBracket => {
    const num = (name: string): number => {
      const value = field(entry, name);
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new DataError(`${symbol}: bracket #${index + 1} ${name} must be a number, got ${JSON.stringify(value)}`, file);
      }
      return value;
    };
    const bracket: LeverageBracket = {
      bracket: num('bracket'),
      initialLeverage: num('initialLeverage'),
      notionalCap: num('notionalCap'),
      notionalFloor: num('notionalFloor'),
      maintMarginRatio: num('maintMarginRatio'),
      cum: num('cum'),
    };
    if (bracket.initialLeverage < 1) throw new DataError(`${symbol}: bracket ${bracket.bracket} initialLeverage < 1`, file);
    if (!(bracket.maintMarginRatio > 0 && bracket.maintMarginRatio < 1)) {
      throw new DataError(`${symbol}: bracket ${bracket.bracket} maintMarginRatio must be in (0, 1)`, file);
    }
    if (!(bracket.notionalFloor >= 0 && bracket.notionalCap > bracket.notionalFloor)) {
      throw new DataError(`${symbol}: bracket ${bracket.bracket} needs 0 ≤ notionalFloor < notionalCap`, file);
    }
    if (bracket.cum < 0) throw new DataError(`${symbol}: bracket ${bracket.bracket} cum < 0`, file);
    return bracket;
  });
  brackets.sort((a, b) => a.notionalFloor - b.notionalFloor);
  if (brackets[0]!.notionalFloor !== 0) throw new DataError(`${symbol}: first bracket must start at notional 0`, file);
  for (let i = 1; i < brackets.length; i++) {
    if (brackets[i]!.notionalFloor !== brackets[i - 1]!.notionalCap) {
      throw new DataError(`${symbol}: bracket ${brackets[i]!.bracket} does not start where the previous one ends`, file);
    }
  }
  return brackets;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    throw new DataError(missing ? 'not found' : `cannot read: ${String(error)}`, file, null, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DataError(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`, file, null, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, name: string): unknown {
  return isRecord(value) ? value[name] : undefined;
}
