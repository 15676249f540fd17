/** /score: the latest model score with each dimension's points, and the score-history chart. */
import type { CommandDefinition, ReplyField } from './types.js';
import type { ScoreView } from '../engine/control.js';
import type { NoticeAttachment } from '../engine/ports.js';

const HISTORY_DAYS = 30;

export function scoreFields(score: ScoreView): ReplyField[] {
  return [
    ...score.dimensions.map((d) => ({ name: d.name, value: `${d.points.toFixed(1)} / ${d.maxPoints} pts · ${d.value}`, inline: true })),
    ...(score.penaltyPoints !== 0 ? [{ name: '100 % losses', value: `-${score.penaltyPoints} pts`, inline: true }] : []),
  ];
}

export function scoreTone(score: ScoreView): 'profit' | 'warning' | 'danger' {
  return score.score < 70 ? 'danger' : score.score < 80 ? 'warning' : 'profit';
}

export const score: CommandDefinition = {
  name: 'score',
  description: 'Latest model score (0–100) with the points of each dimension, and its history',
  permission: 'viewer',
  options: [],
  slow: true,
  async handle({ control }) {
    const reports = control.reportSource();
    const latest = await reports.latestScore();
    if (latest === null) return { title: 'Model score', lines: ['No score yet: the first daily report computes one (00:00 UTC).'], fields: [], tone: 'neutral', ephemeral: false };
    const [history, chart] = await Promise.all([reports.scoreHistory(HISTORY_DAYS), reports.scoreChart(HISTORY_DAYS)]);
    const previous = history.filter((h) => h.day < latest.day).at(-1);
    const attachments: NoticeAttachment[] = chart === null ? [] : [chart];
    return {
      title: `Model score ${latest.score}/100 · grade ${latest.grade}`,
      lines: [
        `${latest.day} · ${latest.tradeCount} trades in the window${latest.notEnoughTrades ? ' · not enough trades (grade kept)' : ''}`,
        ...(previous === undefined ? [] : [`previous: ${previous.score} (${previous.day})`]),
      ],
      fields: scoreFields(latest),
      tone: scoreTone(latest),
      attachments,
      ephemeral: false,
    };
  },
};
