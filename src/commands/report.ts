/** /report [date]: the daily report card with its charts (latest stored, or the day so far). */
import { UserInputError } from '../errors.js';
import type { CommandDefinition } from './types.js';
import { signedUsdt, stringOption, utcTime } from './format.js';
import { scoreFields, scoreTone } from './score.js';

export const report: CommandDefinition = {
  name: 'report',
  description: 'The daily report card with charts (latest, or a UTC day such as 2026-11-30)',
  permission: 'viewer',
  options: [{ name: 'date', description: 'UTC day, e.g. 2026-11-30 (default: the latest report)', type: 'string', required: false }],
  slow: true,
  async handle({ control }, options) {
    const reports = control.reportSource();
    const date = stringOption(options, 'date');
    if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UserInputError(`date must be a UTC day like 2026-11-30, not "${date}"`);
    const view = date === undefined ? ((await reports.latest()) ?? (await reports.buildToday())) : await reports.forDay(date);
    if (view === null) return { title: `Report ${date ?? ''}`.trim(), lines: [`No report is stored for ${date}.`], fields: [], tone: 'neutral', ephemeral: false };
    return {
      title: `Daily report ${view.day}${view.partial ? ' (day so far)' : ''}`,
      lines: [`Score ${view.score.score}/100 · grade ${view.score.grade} · P&L ${signedUsdt(view.pnlUsdt)} · ${view.tradeCount} trades`, ...view.lines],
      fields: scoreFields(view.score),
      tone: scoreTone(view.score),
      attachments: view.charts,
      ephemeral: false,
      footer: `generated ${utcTime(view.generatedAt)}`,
    };
  },
};
