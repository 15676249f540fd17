/** /trades [symbol] [day] [limit]: recent closed trades, newest first. */
import type { CommandDefinition } from './types.js';
import { price, signedUsdt, stringOption, symbolChoices, toneOfPnl, utcTime } from './format.js';

export const trades: CommandDefinition = {
  name: 'trades',
  description: 'Recent closed trades, newest first; filter by symbol or UTC day',
  permission: 'viewer',
  options: [
    {
      name: 'symbol',
      description: 'Only this symbol',
      type: 'string',
      required: false,
      autocomplete: (control, partial) => symbolChoices(control, partial),
    },
    { name: 'day', description: 'Only trades closed this UTC day, e.g. 2026-11-30', type: 'string', required: false },
    { name: 'limit', description: 'How many (1–25, default 10)', type: 'integer', required: false, minValue: 1, maxValue: 25 },
  ],
  slow: false,
  async handle({ control }, options) {
    const symbol = stringOption(options, 'symbol');
    const day = stringOption(options, 'day');
    const limit = typeof options['limit'] === 'number' ? options['limit'] : 10;
    const list = await control.tradesWhere({
      limit,
      ...(symbol !== undefined ? { symbol } : {}),
      ...(day !== undefined ? { dayUtc: day } : {}),
    });
    const scope = [symbol?.toUpperCase(), day].filter((x) => x !== undefined).join(' · ');
    const title = `Trades${scope === '' ? '' : ` · ${scope}`}`;
    if (list.length === 0) return { title, lines: ['No closed trade yet.'], fields: [], tone: 'neutral', ephemeral: false };
    const total = list.reduce((sum, t) => sum + t.pnlUsdt, 0);
    return {
      title,
      lines: [`${list.length} trade${list.length === 1 ? '' : 's'} · net ${signedUsdt(total)}`],
      fields: list.slice(0, 25).map((t) => ({
        name: `${t.symbol} ${t.side} ${t.leverage}x · ${signedUsdt(t.pnlUsdt)}`,
        value: `${price(t.entryPrice)} → ${price(t.exitPrice)} · ${t.exitReason}${t.liquidated ? ' · LIQUIDATED' : ''}${t.exploration ? ' · exploration' : ''}\n${utcTime(t.closedAt)}`,
      })),
      table: {
        columns: ['closed (UTC)', 'symbol', 'side', 'lev', 'entry', 'exit', 'reason', 'P&L'],
        rows: list.map((t) => [
          utcTime(t.closedAt).replace(' UTC', ''),
          t.symbol,
          t.side,
          `${t.leverage}x`,
          price(t.entryPrice),
          price(t.exitPrice),
          t.exitReason,
          signedUsdt(t.pnlUsdt),
        ]),
      },
      tone: toneOfPnl(total),
      ephemeral: false,
    };
  },
};
