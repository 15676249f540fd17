/**
 * The shapes every command shares: its definition (what the transports register and parse)
 * and its transport-neutral reply (what they render). Discord renders a reply as an embed
 * (+ attachments, + a confirm button); the console renders it as text. Nothing here knows
 * either transport.
 */
import type { Control } from '../engine/control.js';
import type { NoticeAttachment } from '../engine/ports.js';

export type Permission = 'viewer' | 'operator';

export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'channel';

export interface CommandChoice {
  readonly name: string;
  readonly value: string;
}

export interface CommandOption {
  readonly name: string;
  readonly description: string;
  readonly type: OptionType;
  readonly required: boolean;
  /** A fixed set of values (Discord shows a picker; the console checks the value). */
  readonly choices?: readonly CommandChoice[];
  /** Suggestions while typing (Discord autocomplete); `partial` is what was typed so far. */
  readonly autocomplete?: (control: Control, partial: string) => readonly CommandChoice[];
  readonly minValue?: number;
  readonly maxValue?: number;
}

/** Parsed option values by option name; absent options are undefined. A channel is its id. */
export type OptionValues = Readonly<Record<string, string | number | boolean | undefined>>;

/** Colour hint: P&L up or down, a warning, a danger (refusal, error, destructive prompt). */
export type Tone = 'neutral' | 'profit' | 'loss' | 'warning' | 'danger' | 'success';

export interface ReplyField {
  readonly name: string;
  readonly value: string;
  /** Side by side on wide screens (Discord inline fields); stacked on phones anyway. */
  readonly inline?: boolean;
}

export interface ReplyTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** A destructive action waits for the requesting operator to confirm it, for a bounded time. */
export interface Confirmation {
  /** Button / prompt label, e.g. "Close all (3)". */
  readonly confirmLabel: string;
  readonly cancelLabel: string;
  /** After this long without a confirmation, nothing happens and the prompt says so. */
  readonly expiresInMs: number;
  /** What the prompt turns into when it expired. */
  readonly expiredText: string;
  /** Runs the action; its reply replaces the prompt. */
  readonly run: () => Promise<CommandReply>;
}

export interface CommandReply {
  readonly title: string;
  /** Short lines above the fields (Discord embed description). */
  readonly lines: readonly string[];
  readonly fields: readonly ReplyField[];
  readonly table?: ReplyTable;
  readonly tone: Tone;
  /** PNG charts and other files that travel with the reply. */
  readonly attachments?: readonly NoticeAttachment[];
  readonly confirmation?: Confirmation;
  /** Seen only by the person who asked. */
  readonly ephemeral: boolean;
  readonly footer?: string;
}

export interface CommandContext {
  readonly control: Control;
  /** Who asked, as the audit log records it: `discord:<user id> (<name>)` or `console`. */
  readonly actor: string;
  /** The channel the command was used in (default for /subscribe), or null (console). */
  readonly channelId: string | null;
  /** Whether replies to control commands are private (config; default true). */
  readonly controlRepliesEphemeral: boolean;
}

export interface CommandDefinition {
  readonly name: string;
  /** ≤ 100 characters (Discord's limit). */
  readonly description: string;
  readonly permission: Permission;
  readonly options: readonly CommandOption[];
  /** May take longer than 2 s (exchange reads, charts): the transport acknowledges first. */
  readonly slow: boolean;
  readonly handle: (context: CommandContext, options: OptionValues) => Promise<CommandReply>;
}

/** The confirmation window of destructive commands (the issue: 30 s). */
export const CONFIRM_EXPIRY_MS = 30_000;
