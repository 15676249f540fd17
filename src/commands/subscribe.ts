/** /subscribe [channel] [kinds]: a channel receives reports, alerts and/or trade notices. */
import type { CommandDefinition } from './types.js';
import { actionReply, stringOption } from './format.js';
import { SUBSCRIPTION_OPTIONS, parseKinds, subscriptionChannel } from './subscription-kinds.js';

export const subscribe: CommandDefinition = {
  name: 'subscribe',
  description: 'Post reports, alerts and/or trade notices to a channel',
  permission: 'operator',
  options: SUBSCRIPTION_OPTIONS,
  slow: false,
  async handle({ control, actor, channelId, controlRepliesEphemeral }, options) {
    const channel = subscriptionChannel(options, channelId, '/subscribe channel:<id> kinds:<reports,alerts,trades>');
    const kinds = parseKinds(stringOption(options, 'kinds'));
    const result = await control.subscribe(channel, kinds, actor);
    return actionReply('Subscribed', [`<#${channel}> now receives: ${result.kinds.join(', ')}.`], controlRepliesEphemeral);
  },
};
