/** /score: the latest model score with each dimension's points, and the score-history chart. */
import type { DimensionScore, DailyReport, ModelScore } from '../engine/reports.js';
import type { CommandDefinition, ReplyField, Tone } from './types.js';

const HISTORY_DAYS = 30;

/** A dimension's measured value in its own unit (BLUEPRINT "Model score"). */
export function dimensionValue(d: DimensionScore): string {
  if (d.value === null) return '—';
  switch (d.key) {
    case 'win_rate':
      return `${(d.value * 100).toFixed(0)} %`;
    case 'ev':
      return `${d.value >= 0 ? '+' : ''}${d.value.toFixed(2)} R`;
    case 'max_drawdown':
      return `${(d.value * 100).toFixed(1)} %`;
    case 'frequency':
      return `${d.value.toFixed(1)}/day`;
    default:
      return d.value.toFixed(2);
  }
}

export function scoreFields(score: ModelScore): ReplyField[] {
  return [
    ...score.dimensions.map((d) => ({
      name: d.label,
      value: `${d.points.toFixed(1)} / ${d.maxPoints} pts · ${dimensionValue(d)}`,
      inline: true,
    })),
    ...(score.penaltyPoints !== 0 ? [{ name: '100 % losses', value: `-${score.penaltyPoints} pts`, inline: true }] : []),
  ];
}

export function scoreTone(score: ModelScore): Tone {
  return score.score < 70 ? 'danger' : score.score < 80 ? 'warning' : 'profit';
}

export function scoreLine(report: DailyReport): string {
  const s = report.score;
  return `${s.trades} trades in ${s.windowDays} days${s.enoughTrades ? '' : ` · not enough trades (< ${s.minTrades}): grade kept`}`;
}

export const score: CommandDefinition = {
  name: 'score',
  description: 'Latest model score (0–100) with the points of each dimension, and its history',
  permission: 'viewer',
  options: [],
  slow: true,
  async handle({ control }) {
    const cards = control.reportCards();
    const latest = await cards.latest();
    if (latest === null)
      return {
        title: 'Model score',
        lines: ['No score yet: the first daily report computes one (00:00 UTC).'],
        fields: [],
        tone: 'neutral',
        ephemeral: false,
      };
    const [history, charts] = await Promise.all([cards.scoreHistory(HISTORY_DAYS), cards.charts(latest)]);
    const previous = history.filter((h) => h.day < latest.day).at(-1);
    return {
      title: `Model score ${latest.score.score}/100 · grade ${latest.score.grade}`,
      lines: [`${latest.day} · ${scoreLine(latest)}`, ...(previous === undefined ? [] : [`previous: ${previous.score} (${previous.day})`])],
      fields: scoreFields(latest.score),
      tone: scoreTone(latest.score),
      attachments: charts.filter((c) => c.name.toLowerCase().includes('score')),
      ephemeral: false,
    };
  },
};
