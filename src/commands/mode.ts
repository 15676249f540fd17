/** /mode rules|self_learning: the strategy mode (grade C and "no model yet" still mean rules). */
import type { CommandDefinition } from './types.js';
import { actionReply, stringOption } from './format.js';

export const mode: CommandDefinition = {
  name: 'mode',
  description: 'Set the strategy mode: rules or self_learning',
  permission: 'operator',
  options: [
    {
      name: 'mode',
      description: 'rules (rule statistics, capped leverage) or self_learning (the model decides)',
      type: 'string',
      required: true,
      choices: [
        { name: 'rules', value: 'rules' },
        { name: 'self_learning', value: 'self_learning' },
      ],
    },
  ],
  slow: false,
  async handle({ control, actor, controlRepliesEphemeral }, options) {
    const result = await control.setMode(stringOption(options, 'mode') ?? '', actor);
    return actionReply('Strategy mode', [result.message], controlRepliesEphemeral);
  },
};
