/**
 * What /subscribe and /unsubscribe share: their `channel` and `kinds` options, the channel
 * a command is about, and parsing `kinds` ("reports,alerts", "all").
 */
import { SUBSCRIPTION_KINDS, type SubscriptionKindName } from '../engine/control.js';
import { UserInputError } from '../errors.js';
import { stringOption } from './format.js';
import type { CommandChoice, CommandOption } from './types.js';

const SUGGESTIONS = ['all', 'reports', 'alerts', 'trades', 'reports,alerts', 'alerts,trades', 'reports,trades'];

/** The options of both commands: the channel (default: the one the command is typed in) and the kinds. */
export const SUBSCRIPTION_OPTIONS: readonly CommandOption[] = [
  { name: 'channel', description: 'The channel (default: this one)', type: 'channel', required: false },
  {
    name: 'kinds',
    description: 'reports, alerts, trades or all (comma-separated; default all)',
    type: 'string',
    required: false,
    autocomplete: (_control, partial): CommandChoice[] =>
      SUGGESTIONS.filter((s) => s.startsWith(partial.trim().toLowerCase())).map((s) => ({ name: s, value: s })),
  },
];

/** The `channel` option, else the channel the command was typed in; `usage` tells how to name one when there is neither. */
export function subscriptionChannel(options: Readonly<Record<string, unknown>>, channelId: string | null, usage: string): string {
  const channel = stringOption(options, 'channel') ?? channelId;
  if (channel === null) throw new UserInputError(`say which channel: ${usage}`);
  return channel;
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
