/**
 * The Discord bot in the trading process: a discord.js v14 client (intent Guilds only) whose
 * interactions go to the router, and the channel side of the notifier. Logging in never
 * blocks or stops the engine: a wrong token or an unreachable Discord is logged loudly and
 * retried with back-off while trading goes on; once connected, discord.js resumes dropped
 * gateway connections itself.
 */
import { Client, DiscordAPIError, Events, GatewayIntentBits } from 'discord.js';
import type { SubscriptionBook, SubscriptionKindName } from '../engine/control.js';
import type { Logger, Notice, NoticeKind } from '../engine/ports.js';
import { describeError } from '../errors.js';
import { PermanentDeliveryError, type NoticeDelivery } from './outbox.js';
import { renderNotice } from './render.js';
import { InteractionRouter, type RouterOptions } from './router.js';

export interface DiscordBotOptions extends RouterOptions {
  readonly token: string;
  /** REST API base as discord.js's `rest.api` takes it (DISCORD_API_BASE). */
  readonly apiBase: string;
  /** First wait before a new login attempt (default 5 s), doubled up to `loginRetryMaxMs` (default 5 min). */
  readonly loginRetryMs?: number;
  readonly loginRetryMaxMs?: number;
  /** discord.js REST retries of 5xx answers (default 3). */
  readonly restRetries?: number;
}

const KIND_TO_SUBSCRIPTION: Readonly<Record<NoticeKind, SubscriptionKindName>> = { report: 'reports', alert: 'alerts', trade: 'trades' };

/** Discord errors that retrying cannot fix: no access, no permission, unknown channel. */
const PERMANENT_CODES = new Set([10003, 50001, 50013]);

export class DiscordBot {
  readonly router: InteractionRouter;
  private client: Client | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private readyWaiters: (() => void)[] = [];
  private readonly log: Logger;
  loginAttempts = 0;

  constructor(private readonly options: DiscordBotOptions) {
    this.log = options.logger.child('discord');
    this.router = new InteractionRouter(options);
  }

  /** Starts logging in, in the background. Never throws. */
  start(): void {
    if (this.options.access.operatorRoleIds.length === 0 && this.options.access.operatorUserIds.length === 0) {
      this.log.warn('no OPERATOR_ROLE_IDS or OPERATOR_USER_IDS: nobody can use the control commands (pause, close, …)');
    }
    this.loop ??= this.loginLoop();
  }

  isReady(): boolean {
    return this.client?.isReady() ?? false;
  }

  /** Resolves once connected (tests). */
  whenReady(): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    this.router.stop();
    await this.loop?.catch(() => undefined);
    await this.client?.destroy();
    this.client = null;
  }

  /** The notifier's delivery: channels from the subscriptions, posts through this client. */
  delivery(subscriptions: SubscriptionBook): NoticeDelivery {
    return {
      channelsFor: async (kind) => (await subscriptions.list(KIND_TO_SUBSCRIPTION[kind])).map((s) => s.channelId),
      send: (channelId, notice, repeats) => this.post(channelId, notice, repeats),
    };
  }

  private async post(channelId: string, notice: Notice, repeats: number): Promise<void> {
    const client = this.client;
    if (client === null || !client.isReady()) throw new Error('Discord is not connected');
    try {
      const channel = await client.channels.fetch(channelId);
      if (channel === null || !channel.isSendable())
        throw new PermanentDeliveryError(`channel ${channelId} is not a text channel the bot can post to`);
      await channel.send(renderNotice(notice, repeats));
    } catch (error) {
      if (error instanceof DiscordAPIError && (PERMANENT_CODES.has(Number(error.code)) || error.status === 403 || error.status === 404)) {
        throw new PermanentDeliveryError(`${error.status} ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  private newClient(): Client {
    const client = new Client({
      intents: [GatewayIntentBits.Guilds],
      rest: { api: this.options.apiBase, ...(this.options.restRetries === undefined ? {} : { retries: this.options.restRetries }) },
    });
    client.on(Events.InteractionCreate, (interaction) => void this.router.handle(interaction));
    client.once(Events.ClientReady, (ready) => {
      this.log.info(`connected to Discord as ${ready.user.tag}`, { guilds: ready.guilds.cache.size });
      for (const resolve of this.readyWaiters.splice(0)) resolve();
    });
    client.on(Events.ShardDisconnect, (event) => this.log.warn(`Discord gateway disconnected (code ${event.code}); reconnecting`));
    client.on(Events.ShardReconnecting, () => this.log.info('Discord gateway reconnecting'));
    client.on(Events.ShardResume, () => this.log.info('Discord gateway resumed'));
    client.on(Events.Error, (error) => this.log.error(`Discord client error: ${describeError(error)}`));
    return client;
  }

  private async loginLoop(): Promise<void> {
    const initial = this.options.loginRetryMs ?? 5_000;
    const max = this.options.loginRetryMaxMs ?? 300_000;
    for (let attempt = 1; !this.stopped; attempt++) {
      this.loginAttempts = attempt;
      const client = this.newClient();
      this.client = client;
      try {
        await client.login(this.options.token);
        return;
      } catch (error) {
        await client.destroy().catch(() => undefined);
        if (this.client === client) this.client = null;
        if (this.stopped) return;
        const waitMs = Math.min(max, initial * 2 ** Math.min(attempt - 1, 16));
        this.log.error(
          `Discord login failed (attempt ${attempt}): ${describeError(error)}. Trading continues without Discord; retrying in ${Math.round(waitMs / 1000)} s. Check DISCORD_TOKEN and DISCORD_API_BASE.`,
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeUp = null;
      }
    }
  }
}
