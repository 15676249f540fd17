/** /unsubscribe [channel] [kinds]: stop posting some (default all) kinds to a channel. */
import { UserInputError } from '../errors.js';
import type { CommandDefinition } from './types.js';
import { actionReply, stringOption } from './format.js';
import { kindsOption, parseKinds } from './subscription-kinds.js';

export const unsubscribe: CommandDefinition = {
  name: 'unsubscribe',
  description: 'Stop posting reports, alerts and/or trade notices to a channel',
  permission: 'operator',
  options: [
    { name: 'channel', description: 'The channel (default: this one)', type: 'channel', required: false },
    kindsOption('reports, alerts, trades or all (comma-separated; default all)'),
  ],
  slow: false,
  async handle({ control, actor, channelId, controlRepliesEphemeral }, options) {
    const channel = stringOption(options, 'channel') ?? channelId;
    if (channel === null) throw new UserInputError('say which channel: /unsubscribe channel:<id>');
    const before = await control.subscriptionsOf(channel);
    if (before === null) return actionReply('Unsubscribe', [`<#${channel}> has no subscription.`], controlRepliesEphemeral, 'neutral');
    const kindsText = stringOption(options, 'kinds');
    const result = await control.unsubscribe(
      channel,
      kindsText === undefined || kindsText.toLowerCase() === 'all' ? undefined : parseKinds(kindsText),
      actor,
    );
    return actionReply(
      'Unsubscribed',
      [result === null ? `<#${channel}> receives nothing any more.` : `<#${channel}> still receives: ${result.kinds.join(', ')}.`],
      controlRepliesEphemeral,
    );
  },
};
