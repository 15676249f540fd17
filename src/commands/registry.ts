/**
 * The command registry: one file per command (definition + handler over the Control
 * facade), rendered by the Discord and console transports and registered by
 * deploy-commands.ts from these same definitions.
 */
import { close } from './close.js';
import { health } from './health.js';
import { mode } from './mode.js';
import { pause } from './pause.js';
import { positions } from './positions.js';
import { report } from './report.js';
import { resume } from './resume.js';
import { score } from './score.js';
import { status } from './status.js';
import { subscribe } from './subscribe.js';
import { trades } from './trades.js';
import type { CommandDefinition } from './types.js';
import { unsubscribe } from './unsubscribe.js';

export type {
  CommandChoice,
  CommandContext,
  CommandDefinition,
  CommandOption,
  CommandReply,
  Confirmation,
  OptionType,
  OptionValues,
  Permission,
  ReplyField,
  ReplyTable,
  Tone,
} from './types.js';
export { CONFIRM_EXPIRY_MS } from './types.js';
export { checkOptions, errorReply, refusalReply, runCommand } from './run.js';

/** Read commands first, then control commands (the order Discord and `/help` list them). */
export const commands: readonly CommandDefinition[] = [
  status,
  positions,
  trades,
  score,
  report,
  health,
  pause,
  resume,
  mode,
  close,
  subscribe,
  unsubscribe,
];

export function findCommand(name: string): CommandDefinition | undefined {
  const wanted = name.replace(/^\//, '').toLowerCase();
  return commands.find((c) => c.name === wanted);
}
