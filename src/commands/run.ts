/**
 * Running a command the same way on every transport: options checked against the
 * definition, the handler called, and any failure turned into a reply (never a silent
 * failure). A refused input says what is allowed; an unexpected error says it failed.
 */
import { UserInputError, describeError } from '../errors.js';
import type { CommandContext, CommandDefinition, CommandReply, OptionValues } from './types.js';

/** Checks required options, types, choices and ranges; returns the values with unknown names dropped. */
export function checkOptions(definition: CommandDefinition, values: OptionValues): OptionValues {
  const checked: Record<string, string | number | boolean> = {};
  const problems: string[] = [];
  for (const option of definition.options) {
    const value = values[option.name];
    if (value === undefined || value === '') {
      if (option.required) problems.push(`${option.name} is required (${option.description})`);
      continue;
    }
    switch (option.type) {
      case 'integer':
      case 'number': {
        const n = typeof value === 'number' ? value : Number(value);
        if (!Number.isFinite(n) || (option.type === 'integer' && !Number.isInteger(n))) {
          problems.push(`${option.name} must be a ${option.type === 'integer' ? 'whole number' : 'number'}, not "${String(value)}"`);
        } else if ((option.minValue !== undefined && n < option.minValue) || (option.maxValue !== undefined && n > option.maxValue)) {
          problems.push(`${option.name} must be from ${option.minValue ?? '-∞'} to ${option.maxValue ?? '∞'}, not ${n}`);
        } else checked[option.name] = n;
        break;
      }
      case 'boolean': {
        const text = String(value).toLowerCase();
        if (typeof value === 'boolean') checked[option.name] = value;
        else if (['true', 'yes', '1'].includes(text)) checked[option.name] = true;
        else if (['false', 'no', '0'].includes(text)) checked[option.name] = false;
        else problems.push(`${option.name} must be true or false, not "${String(value)}"`);
        break;
      }
      default: {
        const text = String(value).trim();
        if (option.choices !== undefined && !option.choices.some((c) => c.value === text)) {
          problems.push(`${option.name} must be one of ${option.choices.map((c) => c.value).join(', ')}, not "${text}"`);
        } else checked[option.name] = option.type === 'channel' ? text.replace(/^<#(\d+)>$/, '$1') : text;
      }
    }
  }
  if (problems.length > 0) throw new UserInputError(problems.join('; '));
  return checked;
}

/** The reply to a failed command: always private, always saying what happened. */
export function errorReply(definition: CommandDefinition | null, error: unknown): CommandReply {
  const name = definition === null ? 'command' : `/${definition.name}`;
  if (error instanceof UserInputError)
    return { title: `${name}: not done`, lines: [error.message], fields: [], tone: 'warning', ephemeral: true };
  return { title: `${name} failed`, lines: [describeError(error)], fields: [], tone: 'danger', ephemeral: true };
}

/** The reply to someone without the permission the command needs. */
export function refusalReply(definition: CommandDefinition): CommandReply {
  return {
    title: `/${definition.name}: not allowed`,
    lines: [definition.permission === 'operator' ? 'not allowed: operators only' : 'not allowed: viewers and operators only'],
    fields: [],
    tone: 'danger',
    ephemeral: true,
  };
}

/** Checks the options and runs the handler; failures come back as an error reply. */
export async function runCommand(definition: CommandDefinition, context: CommandContext, values: OptionValues): Promise<CommandReply> {
  try {
    return await definition.handle(context, checkOptions(definition, values));
  } catch (error) {
    return errorReply(definition, error);
  }
}
