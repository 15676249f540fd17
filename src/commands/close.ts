/**
 * /close symbol|all: shows what would be closed and waits for the requesting operator's
 * confirmation (30 s); then the closes go out on lane 0 and the reply reports the fills.
 * `all` is the panic button: its exits are recorded as emergency closes.
 */
import type { CommandDefinition, CommandReply } from './types.js';
import { CONFIRM_EXPIRY_MS } from './types.js';
import { actionReply, price, quantity, signedUsdt, stringOption, symbolChoices, toneOfPnl } from './format.js';

export const close: CommandDefinition = {
  name: 'close',
  description: 'Close one position or all of them (asks for confirmation)',
  permission: 'operator',
  options: [
    {
      name: 'target',
      description: 'A symbol such as BTCUSDT, or "all"',
      type: 'string',
      required: true,
      autocomplete: (control, partial) => symbolChoices(control, partial, ['all']),
    },
  ],
  slow: true,
  async handle({ control, actor, controlRepliesEphemeral }, options) {
    const target = stringOption(options, 'target') ?? '';
    if (target === '') return actionReply('Close', ['Say what to close: a symbol such as BTCUSDT, or "all".'], true, 'warning');
    const all = target.toLowerCase() === 'all';
    const label = all ? 'all' : target.toUpperCase();
    const targets = control.closeTargets(target);
    if (targets.length === 0) {
      return actionReply(
        'Close',
        [all ? 'There is no open position to close.' : `There is no open position on ${label}.`],
        controlRepliesEphemeral,
        'neutral',
      );
    }
    const views = new Map((await control.positions()).map((v) => [v.symbol, v]));
    const run = async (): Promise<CommandReply> => {
      const outcome = await control.closeAndReport(target, actor, all);
      const net = outcome.fills.reduce((sum, t) => sum + t.pnlUsdt, 0);
      const lines = [outcome.message];
      if (outcome.pending.length > 0)
        lines.push(`Not filled yet: ${outcome.pending.join(', ')} (the controller keeps closing; see /positions).`);
      return {
        title: outcome.pending.length === 0 ? 'Closed' : 'Closing',
        lines,
        fields: outcome.fills.map((t) => ({
          name: `${t.symbol} ${t.side} · ${signedUsdt(t.pnlUsdt)}`,
          value: `filled ${quantity(t.size)} @ ${price(t.exitPrice)} (entry ${price(t.entryPrice)}) · ${t.exitReason}`,
        })),
        tone: outcome.fills.length === 0 ? 'warning' : toneOfPnl(net),
        ephemeral: controlRepliesEphemeral,
        ...(outcome.fills.length > 1 ? { footer: `net ${signedUsdt(net)}` } : {}),
      };
    };
    return {
      title: `Close ${label}?`,
      lines: [
        `This sends market closes (priority 0) for ${targets.length} position${targets.length === 1 ? '' : 's'}. Confirm within ${CONFIRM_EXPIRY_MS / 1000} s.`,
      ],
      fields: targets.map((p) => {
        const view = views.get(p.symbol);
        return {
          name: `${p.symbol} ${p.side} ${p.leverage}x`,
          value: `size ${quantity(p.size)} · entry ${price(p.entryPrice)} · uPnL ${signedUsdt(view?.unrealizedPnlUsdt ?? null)}${p.exitClientOrderId !== null ? ' · already closing' : ''}`,
        };
      }),
      tone: 'danger',
      ephemeral: controlRepliesEphemeral,
      confirmation: {
        confirmLabel: all ? `Close all (${targets.length})` : `Close ${label}`,
        cancelLabel: 'Cancel',
        expiresInMs: CONFIRM_EXPIRY_MS,
        expiredText: `Not confirmed within ${CONFIRM_EXPIRY_MS / 1000} s: nothing was closed.`,
        run,
      },
    };
  },
};
