/**
 * A console line as a command call: `/close BTCUSDT`, `/trades symbol:BTCUSDT day=2026-11-30`,
 * `status`. Words without a name fill the command's options in order; quotes keep spaces.
 * Option values stay text: the command layer checks and converts them (checkOptions).
 */
import { UserInputError } from '../errors.js';
import type { CommandDefinition, OptionValues } from '../commands/registry.js';

export interface ParsedLine {
  /** The command name as typed, without the slash, lower-case. */
  readonly name: string;
  readonly words: readonly string[];
}

/** Splits on spaces, keeping "quoted text" and 'quoted text' together. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of line.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

/** The command name and its argument words; null for an empty line. */
export function parseLine(line: string): ParsedLine | null {
  const words = splitWords(line.trim());
  const first = words[0];
  if (first === undefined) return null;
  return { name: first.replace(/^\//, '').toLowerCase(), words: words.slice(1) };
}

/**
 * Maps argument words to the definition's options: `name:value` or `name=value` by name,
 * bare words to the options not named yet, in order. Unknown names and extra words are
 * refused with what the command takes.
 */
export function optionValues(definition: CommandDefinition, words: readonly string[]): OptionValues {
  const values: Record<string, string> = {};
  const positional: string[] = [];
  const usage = (): string => usageOf(definition);
  for (const word of words) {
    const named = /^([a-z_][a-z0-9_-]*)[:=](.*)$/i.exec(word);
    const optionName = named?.[1]?.toLowerCase();
    if (named !== null && optionName !== undefined && definition.options.some((o) => o.name === optionName)) {
      values[optionName] = named[2] ?? '';
    } else if (named !== null && optionName !== undefined && !word.includes('://')) {
      throw new UserInputError(`/${definition.name} has no option "${optionName}". Usage: ${usage()}`);
    } else {
      positional.push(word);
    }
  }
  const free = definition.options.filter((o) => values[o.name] === undefined);
  if (positional.length > free.length) {
    throw new UserInputError(`too many values for /${definition.name}: ${positional.slice(free.length).join(' ')}. Usage: ${usage()}`);
  }
  positional.forEach((word, i) => {
    const option = free[i];
    if (option !== undefined) values[option.name] = word;
  });
  return values;
}

/** `/close <target>` `/trades [symbol] [day]`: required options in <>, optional in []. */
export function usageOf(definition: CommandDefinition): string {
  const parts = definition.options.map((o) => (o.required ? `<${o.name}>` : `[${o.name}]`));
  return [`/${definition.name}`, ...parts].join(' ');
}
