/** /subscribe [channel] [kinds]: a channel receives reports, alerts and/or trade notices. */
import { UserInputError } from '../errors.js';
import type { CommandDefinition } from './types.js';
import { actionReply, stringOption } from './format.js';
import { kindsOption, parseKinds } from './subscription-kinds.js';

export const subscribe: CommandDefinition = {
  name: 'subscribe',
  description: 'Post reports, alerts and/or trade notices to a channel',
  permission: 'operator',
  options: [
    { name: 'channel', description: 'The channel (default: this one)', type: 'channel', required: false },
    kindsOption('reports, alerts, trades or all (comma-separated; default all)'),
  ],
  slow: false,
  async handle({ control, actor, channelId, controlRepliesEphemeral }, options) {
    const channel = stringOption(options, 'channel') ?? channelId;
    if (channel === null) throw new UserInputError('say which channel: /subscribe channel:<id> kinds:<reports,alerts,trades>');
    const kinds = parseKinds(stringOption(options, 'kinds'));
    const result = await control.subscribe(channel, kinds, actor);
    return actionReply('Subscribed', [`<#${channel}> now receives: ${result.kinds.join(', ')}.`], controlRepliesEphemeral);
  },
};
