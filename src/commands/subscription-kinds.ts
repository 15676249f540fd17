/** Parsing the `kinds` option of /subscribe and /unsubscribe ("reports,alerts", "all"). */
import { SUBSCRIPTION_KINDS, type SubscriptionKindName } from '../engine/control.js';
import { UserInputError } from '../errors.js';
import type { CommandChoice, CommandOption } from './types.js';

const SUGGESTIONS = ['all', 'reports', 'alerts', 'trades', 'reports,alerts', 'alerts,trades', 'reports,trades'];

export function kindsOption(description: string): CommandOption {
  return {
    name: 'kinds',
    description,
    type: 'string',
    required: false,
    autocomplete: (_control, partial): CommandChoice[] =>
      SUGGESTIONS.filter((s) => s.startsWith(partial.trim().toLowerCase())).map((s) => ({ name: s, value: s })),
  };
}

/** "reports, Alerts" → ['alerts', 'reports']; "all" or nothing → every kind. */
export function parseKinds(value: string | undefined): SubscriptionKindName[] {
  if (value === undefined || value.trim() === '' || value.trim().toLowerCase() === 'all') return [...SUBSCRIPTION_KINDS];
  const words = value
    .split(/[\s,]+/)
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w.length > 0);
  const unknown = words.filter((w) => !(SUBSCRIPTION_KINDS as readonly string[]).includes(w));
  if (unknown.length > 0)
    throw new UserInputError(
      `unknown kind${unknown.length === 1 ? '' : 's'} ${unknown.map((u) => `"${u}"`).join(', ')}: use ${SUBSCRIPTION_KINDS.join(', ')} or all`,
    );
  return [...new Set(words as SubscriptionKindName[])].sort();
}
