/** /report [date]: the daily report card with its charts (latest stored, or the day so far). */
import { isUtcDay } from '../engine/utc-day.js';
import { UserInputError } from '../errors.js';
import type { CommandDefinition } from './types.js';
import { pctOfRate, signedUsdt, stringOption, utcTime } from './format.js';
import { scoreFields, scoreLine, scoreTone } from './score.js';

export const report: CommandDefinition = {
  name: 'report',
  description: 'The daily report card with charts (latest, or a UTC day such as 2026-11-30)',
  permission: 'viewer',
  options: [{ name: 'date', description: 'UTC day, e.g. 2026-11-30 (default: the latest report)', type: 'string', required: false }],
  slow: true,
  async handle({ control }, options) {
    const cards = control.reportCards();
    const date = stringOption(options, 'date');
    if (date !== undefined && !isUtcDay(date)) throw new UserInputError(`date must be a UTC day like 2026-11-30, not "${date}"`);
    const card = date === undefined ? ((await cards.latest()) ?? (await cards.today())) : await cards.forDay(date);
    if (card === null)
      return {
        title: `Report ${date ?? ''}`.trim(),
        lines: [`No report is stored for ${date}.`],
        fields: [],
        tone: 'neutral',
        ephemeral: false,
      };
    const day = card.dayFigures;
    return {
      title: `Daily report ${card.day}${card.partial ? ' (day so far)' : ''}`,
      lines: [
        `Score ${card.score.score}/100 · grade ${card.score.grade} · ${scoreLine(card)}`,
        `Day: ${signedUsdt(day.pnlUsdt)} · ${day.trades} trades · win rate ${day.winRate === null ? '—' : pctOfRate(day.winRate, 0)}`,
        ...(card.exploration.trades > 0
          ? [`Exploration: ${card.exploration.trades} trades · ${signedUsdt(card.exploration.pnlUsdt)}`]
          : []),
        ...(day.liquidations > 0 || day.losses100Pct > 0 ? [`Liquidations: ${day.liquidations} · 100 % losses: ${day.losses100Pct}`] : []),
        `Action: ${card.actionTaken}`,
      ],
      fields: scoreFields(card.score),
      tone: scoreTone(card.score),
      attachments: await cards.charts(card),
      ephemeral: false,
      footer: `generated ${utcTime(card.generatedAt)}`,
    };
  },
};
