/**
 * The command registry: one file per command (definition + handler over the Control
 * facade), rendered by the Discord and console transports and registered by
 * deploy-commands.ts. The commands themselves arrive with the Discord issue; until then
 * the registry is empty and deploy-commands.ts says so.
 */
import type { Control } from '../engine/control.js';

export type Permission = 'viewer' | 'operator';

export interface CommandOption {
  readonly name: string;
  readonly description: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean';
  readonly required: boolean;
  readonly choices?: readonly string[];
}

/** A transport-neutral reply. */
export interface CommandReply {
  readonly title: string;
  readonly fields: readonly { name: string; value: string }[];
  readonly ephemeral: boolean;
}

export interface CommandDefinition {
  readonly name: string;
  readonly description: string;
  readonly permission: Permission;
  readonly options: readonly CommandOption[];
  readonly handle: (control: Control, options: Readonly<Record<string, unknown>>, actor: string) => Promise<CommandReply>;
}

export const commands: readonly CommandDefinition[] = [];
