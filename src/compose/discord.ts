/**
 * Step "wire Discord" (when DISCORD_TOKEN is set): the notifier's outbox, persisted in the
 * store, and the bot, started once Control exists. The bot logs in in the background: a
 * wrong token or an unreachable Discord is logged and retried, and trading never waits on
 * it. Trade notices (entries and exits) go to channels subscribed to `trades`.
 */
import { commands } from '../commands/registry.js';
import type { Config } from '../config.js';
import type { SubscriptionRepository } from '../db/repositories.js';
import { DiscordBot } from '../discord/bot.js';
import { Outbox } from '../discord/outbox.js';
import type { Control, SubscriptionBook } from '../engine/control.js';
import type { Clock, Logger, Notifier, Store, StoredDocument } from '../engine/ports.js';
import type { TraderEvent } from '../engine/trader.js';

/** The store as runtime opens it (keyv) has these; an in-memory one does not. */
type StoreWithDiscord = Store & { readonly subscriptions?: SubscriptionRepository; readonly outbox?: StoredDocument };

export interface DiscordWiring {
  /** Reports, alerts and trade notices to subscribed channels (never blocks, never throws). */
  readonly notifier: Notifier;
  readonly subscriptions: SubscriptionBook;
  /** Posts an entry or exit to the `trades` subscribers. */
  onTradeEvent(event: TraderEvent): void;
  /** Starts the outbox and the bot's login, answering with `control`. */
  start(control: Control): void;
  stop(): Promise<void>;
}

export function wireDiscord(
  config: Config,
  deps: { readonly store: StoreWithDiscord; readonly logger: Logger; readonly wallClock: Clock },
): DiscordWiring | null {
  const token = config.discord.token;
  if (token === null) return null;
  const log = deps.logger.child('discord');
  const subscriptions: SubscriptionBook = deps.store.subscriptions ?? memorySubscriptions(deps.wallClock);
  if (deps.store.subscriptions === undefined) log.warn('this store keeps no subscriptions: /subscribe lasts until the bot restarts');
  let control: Control | null = null;
  const bot = new DiscordBot({
    token,
    apiBase: config.discord.apiBase,
    control: () => control,
    commands,
    access: {
      operatorUserIds: config.discord.operatorUserIds,
      operatorRoleIds: config.discord.operatorRoleIds,
      viewerRoleIds: config.discord.viewerRoleIds,
    },
    publicControlReplies: config.discord.publicControlReplies,
    logger: deps.logger,
    clock: deps.wallClock,
  });
  const outbox = new Outbox({
    clock: deps.wallClock,
    delivery: bot.delivery(subscriptions),
    persistence: deps.store.outbox ?? null,
    logger: deps.logger,
  });
  return {
    notifier: outbox,
    subscriptions,
    onTradeEvent(event) {
      if (event.kind === 'entry') {
        const p = event.position;
        outbox.notify({
          kind: 'trade',
          key: `entry:${p.entryClientOrderId}`,
          severity: 'info',
          title: `${p.symbol} ${p.side} opened · ${p.leverage}x`,
          lines: [
            `size ${p.size} @ ${p.entryPrice}`,
            `SL ${p.slPrice} · TP ${p.tpPrice} · liq ${p.liquidationPrice.toFixed(2)}`,
            ...(p.exploration ? ['exploration trade'] : []),
          ],
          at: p.openedAt,
        });
      } else if (event.kind === 'exit') {
        const t = event.trade;
        outbox.notify({
          kind: 'trade',
          key: `exit:${t.id}`,
          severity: t.liquidated ? 'critical' : 'info',
          title: `${t.symbol} ${t.side} closed · ${t.pnlUsdt >= 0 ? '+' : ''}${t.pnlUsdt.toFixed(2)} USDT`,
          lines: [
            `${t.entryPrice} → ${t.exitPrice} (${t.exitReason})${t.liquidated ? ' · LIQUIDATED' : ''}`,
            `fees ${t.feesUsdt.toFixed(2)} · funding ${t.fundingUsdt.toFixed(2)} USDT`,
          ],
          at: t.closedAt,
        });
      }
    },
    start(wired) {
      control = wired;
      void outbox.start();
      bot.start();
      log.info('Discord control starting (the bot logs in in the background; trading does not wait for it)');
    },
    async stop() {
      await outbox.stop();
      await bot.stop();
    },
  };
}

/** Subscriptions for a store without them (kept until restart). */
function memorySubscriptions(clock: Clock): SubscriptionBook {
  const byChannel = new Map<string, { channelId: string; kinds: ('reports' | 'alerts' | 'trades')[]; addedAt: number }>();
  return {
    async add(channelId, kinds) {
      const current = byChannel.get(channelId);
      const merged = {
        channelId,
        kinds: [...new Set([...(current?.kinds ?? []), ...kinds])].sort(),
        addedAt: current?.addedAt ?? clock.now(),
      };
      byChannel.set(channelId, merged);
      return merged;
    },
    async remove(channelId, kinds) {
      const current = byChannel.get(channelId);
      if (current === undefined) return null;
      const remaining = kinds === undefined ? [] : current.kinds.filter((k) => !kinds.includes(k));
      if (remaining.length === 0) {
        byChannel.delete(channelId);
        return null;
      }
      const next = { ...current, kinds: remaining };
      byChannel.set(channelId, next);
      return next;
    },
    async list(kind) {
      return [...byChannel.values()].filter((s) => kind === undefined || s.kinds.includes(kind));
    },
  };
}
