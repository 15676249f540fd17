/** /pause: no new entries; open positions stay managed and can be closed. */
import type { CommandDefinition } from './types.js';
import { actionReply } from './format.js';

export const pause: CommandDefinition = {
  name: 'pause',
  description: 'Stop opening new positions (open ones stay managed)',
  permission: 'operator',
  options: [],
  slow: false,
  async handle({ control, actor, controlRepliesEphemeral }) {
    const result = await control.pause(actor);
    return actionReply('Paused', [result.message], controlRepliesEphemeral, 'warning');
  },
};
