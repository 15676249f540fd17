/** /unsubscribe [channel] [kinds]: stop posting some (default all) kinds to a channel. */
import type { CommandDefinition } from './types.js';
import { actionReply, stringOption } from './format.js';
import { SUBSCRIPTION_OPTIONS, parseKinds, subscriptionChannel } from './subscription-kinds.js';

export const unsubscribe: CommandDefinition = {
  name: 'unsubscribe',
  description: 'Stop posting reports, alerts and/or trade notices to a channel',
  permission: 'operator',
  options: SUBSCRIPTION_OPTIONS,
  slow: false,
  async handle({ control, actor, channelId, controlRepliesEphemeral }, options) {
    const channel = subscriptionChannel(options, channelId, '/unsubscribe channel:<id>');
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
