/** /positions: every open position with entry, mark, size, leverage, uPnL, SL/TP and liquidation price. */
import type { CommandDefinition, ReplyField } from './types.js';
import { price, quantity, signedUsdt, toneOfPnl, utcTime } from './format.js';

export const positions: CommandDefinition = {
  name: 'positions',
  description: 'Open positions: entry, mark, size, leverage, unrealised P&L, SL/TP, liquidation',
  permission: 'viewer',
  options: [],
  slow: true,
  async handle({ control }) {
    const views = await control.positions();
    if (views.length === 0) return { title: 'Positions', lines: ['No open position.'], fields: [], tone: 'neutral', ephemeral: false };
    const knownPnl = views.map((v) => v.unrealizedPnlUsdt).filter((v): v is number => v !== null);
    const total = knownPnl.reduce((a, b) => a + b, 0);
    // Discord allows 25 fields per embed: the table carries everything, fields the first 24.
    const fields: ReplyField[] = views.slice(0, 24).map((p) => ({
      name: `${p.symbol} ${p.side.toUpperCase()} ${p.leverage}x`,
      value: [
        `entry ${price(p.entryPrice)} · mark ${price(p.markPrice)}`,
        `size ${quantity(p.size)} · uPnL ${signedUsdt(p.unrealizedPnlUsdt)}`,
        `SL ${price(p.slPrice)} · TP ${price(p.tpPrice)}`,
        `liq ${price(p.liquidationPrice)}${p.exitReason !== null ? ` · closing (${p.exitReason})` : ''}`,
      ].join('\n'),
      inline: true,
    }));
    return {
      title: `Positions (${views.length})`,
      lines: [`Unrealised P&L: ${knownPnl.length === 0 ? 'n/a (exchange unreachable)' : signedUsdt(total)}`],
      fields,
      table: {
        columns: ['symbol', 'side', 'lev', 'entry', 'mark', 'size', 'uPnL', 'SL', 'TP', 'liq'],
        rows: views.map((p) => [
          p.symbol,
          p.side,
          `${p.leverage}x`,
          price(p.entryPrice),
          price(p.markPrice),
          quantity(p.size),
          signedUsdt(p.unrealizedPnlUsdt),
          price(p.slPrice),
          price(p.tpPrice),
          price(p.liquidationPrice),
        ]),
      },
      tone: toneOfPnl(knownPnl.length === 0 ? null : total),
      ephemeral: false,
      footer: `as of ${utcTime(control.now())}`,
    };
  },
};
