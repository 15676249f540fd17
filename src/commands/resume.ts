/** /resume: new entries allowed again. */
import type { CommandDefinition } from './types.js';
import { actionReply } from './format.js';

export const resume: CommandDefinition = {
  name: 'resume',
  description: 'Allow new positions again',
  permission: 'operator',
  options: [],
  slow: false,
  async handle({ control, actor, controlRepliesEphemeral }) {
    const result = await control.resume(actor);
    return actionReply('Resumed', [result.message], controlRepliesEphemeral);
  },
};
