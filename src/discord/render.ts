/**
 * Rendering a transport-neutral reply or notice as a Discord message: one embed (short
 * lines and fields read well on a phone), a colour by tone / severity, attachments as
 * files, and confirm/cancel buttons for a confirmation step.
 */
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder } from 'discord.js';
import type { CommandReply, Tone } from '../commands/types.js';
import type { Notice, NoticeAttachment } from '../engine/ports.js';

const TONE_COLOUR: Readonly<Record<Tone, number>> = {
  neutral: 0x5865f2,
  profit: 0x2ecc71,
  success: 0x2ecc71,
  loss: 0xe74c3c,
  warning: 0xf1c40f,
  danger: 0xe74c3c,
};

const SEVERITY_COLOUR: Readonly<Record<Notice['severity'], number>> = { info: 0x5865f2, warning: 0xf1c40f, critical: 0xe74c3c };

/** Discord's embed limits (title 256, description 4096, 25 fields, name 256, value 1024, total 6000). */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function files(attachments: readonly NoticeAttachment[] | undefined): AttachmentBuilder[] {
  return (attachments ?? []).map((a) => {
    const file = new AttachmentBuilder(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), { name: a.name });
    if (a.description !== undefined) file.setDescription(clip(a.description, 1024));
    return file;
  });
}

export function replyEmbed(reply: CommandReply): EmbedBuilder {
  const embed = new EmbedBuilder().setTitle(clip(reply.title, 256)).setColor(TONE_COLOUR[reply.tone]);
  if (reply.lines.length > 0) embed.setDescription(clip(reply.lines.join('\n'), 4096));
  let budget = 6000 - reply.title.length - Math.min(4096, reply.lines.join('\n').length) - (reply.footer?.length ?? 0);
  const fields = [];
  for (const field of reply.fields.slice(0, 25)) {
    const name = clip(field.name, 256);
    const value = clip(field.value === '' ? '—' : field.value, 1024);
    budget -= name.length + value.length;
    if (budget < 0) break;
    fields.push({ name, value, inline: field.inline ?? false });
  }
  if (fields.length > 0) embed.addFields(fields);
  if (reply.footer !== undefined) embed.setFooter({ text: clip(reply.footer, 2048) });
  // A chart shows inside the embed when it is the only one.
  const only = reply.attachments?.length === 1 ? reply.attachments[0] : undefined;
  if (only !== undefined && only.contentType === 'image/png') embed.setImage(`attachment://${only.name}`);
  return embed;
}

export interface RenderedMessage {
  embeds: EmbedBuilder[];
  files: AttachmentBuilder[];
  components: ActionRowBuilder<ButtonBuilder>[];
}

/** A reply as a message; `confirmId` adds the confirm/cancel buttons of its confirmation. */
export function renderReply(reply: CommandReply, confirmId?: string): RenderedMessage {
  const components: ActionRowBuilder<ButtonBuilder>[] = [];
  if (reply.confirmation !== undefined && confirmId !== undefined) {
    components.push(
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder()
          .setCustomId(`confirm:${confirmId}`)
          .setLabel(clip(reply.confirmation.confirmLabel, 80))
          .setStyle(ButtonStyle.Danger),
        new ButtonBuilder()
          .setCustomId(`cancel:${confirmId}`)
          .setLabel(clip(reply.confirmation.cancelLabel, 80))
          .setStyle(ButtonStyle.Secondary),
      ),
    );
  }
  return { embeds: [replyEmbed(reply)], files: files(reply.attachments), components };
}

/** A notice (report, alert, trade) as a channel post. */
export function renderNotice(notice: Notice, repeats = 1): { embeds: EmbedBuilder[]; files: AttachmentBuilder[] } {
  const title = repeats > 1 ? `${notice.title} (×${repeats})` : notice.title;
  const embed = new EmbedBuilder().setTitle(clip(title, 256)).setColor(SEVERITY_COLOUR[notice.severity]).setTimestamp(new Date(notice.at));
  if (notice.lines.length > 0) embed.setDescription(clip(notice.lines.join('\n'), 4096));
  const only = notice.attachments?.length === 1 ? notice.attachments[0] : undefined;
  if (only !== undefined && only.contentType === 'image/png') embed.setImage(`attachment://${only.name}`);
  return { embeds: [embed], files: files(notice.attachments) };
}
