/**
 * The interaction router: slash commands, autocomplete and confirmation buttons, with one
 * error boundary (any failure becomes an ephemeral reply, never a silent one), the run-time
 * permission check (every refused control action is audited), and Discord's 3 s deadline
 * kept by deferring anything slow or anything not answered within DEFER_AFTER_MS.
 */
import { randomUUID } from 'node:crypto';
import { MessageFlags } from 'discord.js';
import type { AutocompleteInteraction, ButtonInteraction, ChatInputCommandInteraction, Interaction } from 'discord.js';
import { errorReply, runCommand } from '../commands/run.js';
import type { CommandDefinition, CommandReply, Confirmation, OptionValues } from '../commands/types.js';
import type { Control } from '../engine/control.js';
import type { Clock, Logger } from '../engine/ports.js';
import { describeError } from '../errors.js';
import { decideAccess, type AccessRules, type Requester } from './permissions.js';
import { renderReply } from './render.js';

/** Answer within this or defer (Discord allows 3 s for the first response). */
export const DEFER_AFTER_MS = 1_500;

export interface RouterOptions {
  /** The Control facade; null while trading is still starting. */
  readonly control: () => Control | null;
  readonly commands: readonly CommandDefinition[];
  readonly access: AccessRules;
  readonly publicControlReplies: boolean;
  readonly logger: Logger;
  /** Times confirmation expiry (the wall clock in production). */
  readonly clock: Clock;
}

interface PendingConfirmation {
  readonly ownerId: string;
  readonly commandName: string;
  readonly confirmation: Confirmation;
  readonly interaction: ChatInputCommandInteraction;
  readonly ephemeral: boolean;
  readonly cancelTimer: () => void;
}

function actorOf(user: { id: string; username: string }): string {
  return `discord:${user.id} (${user.username})`;
}

function requesterOf(interaction: Interaction): Requester {
  const member = interaction.member;
  let roleIds: string[] = [];
  if (member !== null) {
    // A cached GuildMember has a role manager; an uncached API member has an id array.
    roleIds = Array.isArray(member.roles) ? [...member.roles] : [...member.roles.cache.keys()];
  }
  return { userId: interaction.user.id, guildId: interaction.guildId, roleIds };
}

function flagsOf(ephemeral: boolean): { flags?: MessageFlags.Ephemeral } {
  return ephemeral ? { flags: MessageFlags.Ephemeral } : {};
}

function refusal(title: string, reason: string): CommandReply {
  return { title, lines: [reason], fields: [], tone: 'danger', ephemeral: true };
}

export class InteractionRouter {
  private readonly pending = new Map<string, PendingConfirmation>();
  private readonly log: Logger;

  constructor(private readonly options: RouterOptions) {
    this.log = options.logger.child('discord');
  }

  /** Handles one interaction; never throws. */
  async handle(interaction: Interaction): Promise<void> {
    try {
      if (interaction.isAutocomplete()) await this.autocomplete(interaction);
      else if (interaction.isChatInputCommand()) await this.command(interaction);
      else if (interaction.isButton()) await this.button(interaction);
    } catch (error) {
      this.log.error(`interaction failed: ${describeError(error)}`, { kind: interaction.type, user: interaction.user.id });
      await this.replyError(interaction, error).catch((inner: unknown) =>
        this.log.error(`could not even report the failure to the user: ${describeError(inner)}`),
      );
    }
  }

  /** Pending confirmations (tests, /health). */
  pendingConfirmations(): number {
    return this.pending.size;
  }

  /** Forgets every pending confirmation (shutdown): nothing is run after this. */
  stop(): void {
    for (const p of this.pending.values()) p.cancelTimer();
    this.pending.clear();
  }

  // ── slash commands ───────────────────────────────────────────────────────

  private async command(interaction: ChatInputCommandInteraction): Promise<void> {
    const definition = this.options.commands.find((c) => c.name === interaction.commandName);
    if (definition === undefined) {
      await interaction.reply({
        ...renderReply(
          refusal(
            `/${interaction.commandName}`,
            'This command is not known to this version of the bot; redeploy the commands (npm run deploy-commands).',
          ),
        ),
        ...flagsOf(true),
      });
      return;
    }
    const control = this.options.control();
    const actor = actorOf(interaction.user);
    const decision = decideAccess(this.options.access, requesterOf(interaction), definition.permission);
    if (!decision.allowed) {
      this.log.warn(`refused /${definition.name} for ${actor}: ${decision.reason}`);
      if (definition.permission === 'operator') await control?.auditDenied(actor, definition.name, `refused: ${decision.reason}`);
      await interaction.reply({ ...renderReply(refusal(`/${definition.name}: not allowed`, decision.reason)), ...flagsOf(true) });
      return;
    }
    if (control === null) {
      await interaction.reply({
        ...renderReply(refusal(`/${definition.name}`, 'The engine is still starting; try again in a moment.')),
        ...flagsOf(true),
      });
      return;
    }
    const ephemeral = definition.permission === 'operator' && !this.options.publicControlReplies;
    const context = { control, actor, channelId: interaction.channelId, controlRepliesEphemeral: !this.options.publicControlReplies };
    const work = runCommand(definition, context, this.optionValues(interaction, definition));
    let deferred = false;
    if (definition.slow || (await this.lateAfter(work, DEFER_AFTER_MS))) {
      await interaction.deferReply(flagsOf(ephemeral));
      deferred = true;
    }
    const reply = await work;
    if (definition.permission === 'operator') this.log.info(`/${definition.name} by ${actor}: ${reply.title}`);
    const confirmId =
      reply.confirmation === undefined ? undefined : this.remember(interaction, definition, reply.confirmation, reply.ephemeral);
    const message = renderReply(reply, confirmId);
    if (!deferred) {
      await interaction.reply({ ...message, ...flagsOf(reply.ephemeral) });
    } else if (reply.ephemeral && !ephemeral) {
      // Deferred in public, but the answer is private (an error): replace the placeholder.
      await interaction.deleteReply();
      await interaction.followUp({ ...message, ...flagsOf(true) });
    } else {
      await interaction.editReply(message);
    }
  }

  private optionValues(interaction: ChatInputCommandInteraction, definition: CommandDefinition): OptionValues {
    const values: Record<string, string | number | boolean> = {};
    for (const option of definition.options) {
      const value = interaction.options.get(option.name)?.value;
      if (value !== undefined && value !== null) values[option.name] = value;
    }
    return values;
  }

  /** True when `work` is still running after `ms`. */
  private async lateAfter(work: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
    try {
      return await Promise.race([work.then(() => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ── confirmations ───────────────────────────────────────────────────────

  private remember(
    interaction: ChatInputCommandInteraction,
    definition: CommandDefinition,
    confirmation: Confirmation,
    ephemeral: boolean,
  ): string {
    const id = randomUUID().slice(0, 18);
    const cancelTimer = this.options.clock.setTimer(confirmation.expiresInMs, () => void this.expire(id));
    this.pending.set(id, { ownerId: interaction.user.id, commandName: definition.name, confirmation, interaction, ephemeral, cancelTimer });
    return id;
  }

  private async expire(id: string): Promise<void> {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    this.log.info(`/${entry.commandName} confirmation expired; nothing was done`);
    const expired: CommandReply = {
      title: `/${entry.commandName}: expired`,
      lines: [entry.confirmation.expiredText],
      fields: [],
      tone: 'neutral',
      ephemeral: entry.ephemeral,
    };
    await entry.interaction
      .editReply(renderReply(expired))
      .catch((error: unknown) => this.log.warn(`could not mark the confirmation as expired: ${describeError(error)}`));
  }

  private async button(interaction: ButtonInteraction): Promise<void> {
    const [action, id] = interaction.customId.split(':');
    const entry = id === undefined ? undefined : this.pending.get(id);
    if ((action !== 'confirm' && action !== 'cancel') || id === undefined || entry === undefined) {
      await interaction.reply({
        ...renderReply(refusal('Not done', 'This confirmation expired or was already answered: nothing was done.')),
        ...flagsOf(true),
      });
      return;
    }
    const actor = actorOf(interaction.user);
    const control = this.options.control();
    const decision = decideAccess(this.options.access, requesterOf(interaction), 'operator');
    if (interaction.user.id !== entry.ownerId || !decision.allowed) {
      const reason = `not allowed: only <@${entry.ownerId}>, who asked, can ${action} this`;
      this.log.warn(`refused ${action} of /${entry.commandName} for ${actor}`);
      await control?.auditDenied(actor, `${entry.commandName}_${action}`, 'refused: not the requesting operator');
      await interaction.reply({ ...renderReply(refusal(`/${entry.commandName}: not allowed`, reason)), ...flagsOf(true) });
      return;
    }
    this.pending.delete(id);
    entry.cancelTimer();
    if (action === 'cancel') {
      await interaction.update(
        renderReply({
          title: `/${entry.commandName}: cancelled`,
          lines: ['Cancelled: nothing was done.'],
          fields: [],
          tone: 'neutral',
          ephemeral: entry.ephemeral,
        }),
      );
      return;
    }
    // The action may wait for fills: acknowledge now, then replace the prompt with the result.
    await interaction.deferUpdate();
    let result: CommandReply;
    try {
      result = await entry.confirmation.run();
    } catch (error) {
      result = errorReply(this.options.commands.find((c) => c.name === entry.commandName) ?? null, error);
    }
    await interaction.editReply(renderReply(result));
  }

  // ── autocomplete ────────────────────────────────────────────────────────

  private async autocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const definition = this.options.commands.find((c) => c.name === interaction.commandName);
    const focused = interaction.options.getFocused(true);
    const option = definition?.options.find((o) => o.name === focused.name);
    const control = this.options.control();
    const allowed = definition !== undefined && decideAccess(this.options.access, requesterOf(interaction), definition.permission).allowed;
    if (option?.autocomplete === undefined || control === null || !allowed) {
      await interaction.respond([]);
      return;
    }
    await interaction.respond(
      option
        .autocomplete(control, String(focused.value))
        .slice(0, 25)
        .map((c) => ({ name: c.name, value: c.value })),
    );
  }

  private async replyError(interaction: Interaction, error: unknown): Promise<void> {
    if (interaction.isAutocomplete()) {
      if (!interaction.responded) await interaction.respond([]);
      return;
    }
    if (!interaction.isRepliable()) return;
    const message = { ...renderReply(errorReply(null, error)), ...flagsOf(true) };
    if (interaction.deferred || interaction.replied) await interaction.followUp(message);
    else await interaction.reply(message);
  }
}
