/**
 * The console twin of the Discord bot: the same commands (src/commands), typed as
 * `/status`, `/close BTCUSDT`, … on stdin, with the replies rendered as text.
 *
 * - A destructive command shows what it would do and waits for `yes` on the next line
 *   (within the command's expiry, 30 s); anything else cancels it.
 * - With no terminal (piped stdin) it reads one command per line and prints no prompt.
 * - At end of input (EOF, Ctrl-D) it stops reading commands and the bot keeps trading; a
 *   pending confirmation is dropped, so EOF never closes a position. Stopping the bot is
 *   SIGINT/SIGTERM (Ctrl-C on the prompt sends SIGINT to the process).
 * - On a terminal it takes over the log output: a log line clears the prompt line, is
 *   written, and the prompt is redrawn with what was being typed.
 * The person at the console is the local operator (they hold the process): every
 * command is allowed, and control actions are audited as `console`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { UserInputError, describeError } from '../errors.js';
import {
  commands,
  errorReply,
  findCommand,
  runCommand,
  type CommandDefinition,
  type CommandReply,
  type Confirmation,
} from '../commands/registry.js';
import type { Control } from '../engine/control.js';
import type { Logger } from '../engine/ports.js';
import { colorWanted, type LogOutput } from '../logger.js';
import { optionValues, parseLine, usageOf } from './parse.js';
import { renderReply } from './render.js';

export interface ConsoleOptions {
  /** The Control once trading runs; null while standing by (lease held elsewhere, starting). */
  readonly control: () => Control | null;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Input and output are a terminal: prompt, completion, log take-over. */
  readonly terminal: boolean;
  /** Colour in replies; default (startConsole): a terminal and NO_COLOR unset. */
  readonly color: boolean;
  readonly logger: Logger;
  /** Taken over on a terminal so log lines do not tear the prompt. */
  readonly logOutput?: LogOutput;
  /** Where reply attachments (charts) are saved; default: <tmp>/self-learning-trader-console. */
  readonly attachmentsDir?: string;
  /** Ctrl-C on the prompt; default: SIGINT to this process (the normal safe shutdown). */
  readonly onInterrupt?: () => void;
}

const PROMPT = 'trader> ';
const ACTOR = 'console';

interface PendingConfirmation {
  readonly confirmation: Confirmation;
  readonly timer: NodeJS.Timeout;
}

export class ConsoleTwin {
  private readonly rl: Interface;
  private readonly log: Logger;
  private pending: PendingConfirmation | null = null;
  private releaseLogs: (() => void) | null = null;
  private stopped = false;
  /** Resolves when input has ended (EOF) or the console was stopped; every line read has been handled. */
  readonly finished: Promise<void>;

  constructor(private readonly options: ConsoleOptions) {
    this.log = options.logger.child('console');
    this.rl = createInterface({
      input: options.input,
      output: options.terminal ? options.output : undefined,
      terminal: options.terminal,
      prompt: PROMPT,
      ...(options.terminal ? { completer: (line: string): [string[], string] => this.complete(line) } : {}),
    });
    if (options.terminal) {
      this.rl.on('SIGINT', () => (options.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT')))());
      if (options.logOutput !== undefined) this.releaseLogs = options.logOutput.takeOver((text) => this.writeAbovePrompt(text));
    }
    this.finished = this.readLoop();
  }

  /** Stops reading commands (the bot keeps running) and gives the log output back. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelPending(null);
    this.rl.close();
    // Leave a clean line for the log lines that follow (shutdown), not a dangling prompt.
    if (this.options.terminal) this.options.output.write('\r\u001b[2K');
    this.releaseLogs?.();
    this.releaseLogs = null;
  }

  private async readLoop(): Promise<void> {
    if (this.options.terminal) {
      this.write(
        `Console: the Discord commands typed here (${commands.map((c) => `/${c.name}`).join(' ')}). ` +
          '/help for options. Ctrl-C stops the bot; Ctrl-D closes the console and leaves it trading.',
      );
    } else {
      // Piped or empty stdin (Railway): say it once in the log stream, not as stray text.
      this.log.info('console reading commands from stdin (one per line, e.g. /status)');
    }
    this.prompt();
    try {
      for await (const line of this.rl) {
        if (this.stopped) break;
        await this.handleLine(line).catch((error: unknown) =>
          this.write(renderReply(errorReply(null, error), { color: this.options.color })),
        );
        this.prompt();
      }
    } finally {
      if (!this.stopped) {
        this.cancelPending('input ended before the confirmation: nothing was done.');
        if (this.options.terminal)
          this.write('Console closed: no more commands are read; the bot keeps trading (stop it with SIGINT or SIGTERM).');
        this.log.info('console input closed: no more commands are read; the bot keeps trading (stop it with SIGINT or SIGTERM)');
        this.stopped = true;
        this.releaseLogs?.();
        this.releaseLogs = null;
      }
    }
  }

  private async handleLine(line: string): Promise<void> {
    const pending = this.pending;
    if (pending !== null) {
      this.cancelPending(null);
      if (line.trim().toLowerCase() === 'yes') {
        this.write('Confirmed.');
        await this.show(await this.runConfirmation(pending.confirmation));
      } else {
        this.write('Cancelled: nothing was done.');
      }
      return;
    }
    const parsed = parseLine(line);
    if (parsed === null) return;
    if (parsed.name === 'help' || parsed.name === '?') {
      this.write(this.help(parsed.words[0]));
      return;
    }
    if (parsed.name === 'quit' || parsed.name === 'exit') {
      this.write('The console does not stop the bot: press Ctrl-C (or send SIGTERM) for a safe shutdown.');
      return;
    }
    const definition = findCommand(parsed.name);
    if (definition === undefined) {
      this.write(`Unknown command "${parsed.name}". /help lists the commands.`);
      return;
    }
    const control = this.options.control();
    if (control === null) {
      this.write(`/${definition.name}: not trading yet (starting, or standing by while another instance holds the lease).`);
      return;
    }
    let values;
    try {
      values = optionValues(definition, parsed.words);
    } catch (error) {
      if (error instanceof UserInputError) {
        await this.show(errorReply(definition, error));
        return;
      }
      throw error;
    }
    const reply = await runCommand(definition, { control, actor: ACTOR, channelId: null, controlRepliesEphemeral: false }, values);
    await this.show(reply);
  }

  private async runConfirmation(confirmation: Confirmation): Promise<CommandReply> {
    try {
      return await confirmation.run();
    } catch (error) {
      return errorReply(null, error);
    }
  }

  private async show(reply: CommandReply): Promise<void> {
    this.write(renderReply(reply, { color: this.options.color, attachmentNote: (name, bytes) => this.saveAttachment(reply, name, bytes) }));
    const confirmation = reply.confirmation;
    if (confirmation === undefined) return;
    const timer = setTimeout(() => {
      if (this.pending?.confirmation !== confirmation) return;
      this.pending = null;
      this.write(confirmation.expiredText);
      this.prompt();
    }, confirmation.expiresInMs);
    timer.unref();
    this.pending = { confirmation, timer };
    this.write(
      `Type yes to confirm "${confirmation.confirmLabel}"; anything else cancels (expires in ${Math.round(confirmation.expiresInMs / 1000)} s).`,
    );
  }

  private cancelPending(message: string | null): void {
    if (this.pending === null) return;
    clearTimeout(this.pending.timer);
    this.pending = null;
    if (message !== null) this.write(message);
  }

  private saveAttachment(reply: CommandReply, name: string, bytes: number): string {
    const attachment = reply.attachments?.find((a) => a.name === name);
    const dir = this.options.attachmentsDir ?? join(tmpdir(), 'self-learning-trader-console');
    try {
      if (attachment === undefined) throw new Error('not found');
      mkdirSync(dir, { recursive: true });
      const path = join(dir, name.replace(/[^\w.-]/g, '_'));
      writeFileSync(path, attachment.data);
      return `${name} (${Math.max(1, Math.round(bytes / 1024))} KB) saved to ${path}`;
    } catch (error) {
      return `${name} (${bytes} bytes) could not be saved: ${describeError(error)}`;
    }
  }

  private help(topic: string | undefined): string {
    const describe = (c: CommandDefinition): string => `  ${usageOf(c).padEnd(34)} ${c.description}`;
    const one = topic === undefined ? undefined : findCommand(topic);
    if (one !== undefined) {
      const options = one.options.map(
        (o) =>
          `    ${o.name}${o.required ? '' : ' (optional)'}: ${o.description}${o.choices ? ` — ${o.choices.map((c) => c.value).join(', ')}` : ''}`,
      );
      return [describe(one), ...options].join('\n');
    }
    return [
      'Commands (values in order, or name:value):',
      ...commands.map(describe),
      '  /help <command>                    its options',
      'Destructive commands ask for "yes" on the next line.',
    ].join('\n');
  }

  /** Tab completion: command names, then the first option's suggestions (symbols). */
  private complete(line: string): [string[], string] {
    const words = line.split(/\s+/);
    if (words.length <= 1) {
      const typed = (words[0] ?? '').replace(/^\//, '');
      const names = [...commands.map((c) => `/${c.name}`), '/help'].filter((n) => n.startsWith(`/${typed}`));
      return [names, line];
    }
    const definition = findCommand(words[0] ?? '');
    const control = this.options.control();
    const option = definition?.options[words.length - 2];
    const partial = words.at(-1) ?? '';
    if (option === undefined) return [[], partial];
    const choices = option.choices ?? (control !== null && option.autocomplete ? option.autocomplete(control, partial) : []);
    return [choices.map((c) => c.value).filter((v) => v.toLowerCase().startsWith(partial.toLowerCase())), partial];
  }

  private prompt(): void {
    if (this.options.terminal && !this.stopped) this.rl.prompt(true);
  }

  /** Writes text above the prompt (a reply or a log line) and redraws what was being typed. */
  private writeAbovePrompt(text: string): void {
    const out = this.options.output;
    if (!this.options.terminal || this.stopped) {
      out.write(text);
      return;
    }
    out.write('\r\u001b[2K');
    out.write(text.endsWith('\n') ? text : `${text}\n`);
    this.rl.prompt(true);
  }

  private write(text: string): void {
    if (this.options.terminal) this.writeAbovePrompt(`${text}\n`);
    else this.options.output.write(`${text}\n`);
  }
}

/** Starts the console twin on the process's stdin/stdout. */
export function startConsole(
  options: Omit<ConsoleOptions, 'input' | 'output' | 'terminal' | 'color'> & { readonly terminal?: boolean; readonly color?: boolean },
): ConsoleTwin {
  const terminal = options.terminal ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
  const color = options.color ?? colorWanted(process.env, terminal);
  return new ConsoleTwin({ ...options, input: process.stdin, output: process.stdout, terminal, color });
}
