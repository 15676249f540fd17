/**
 * The fake Discord against the REAL discord.js v14 client: login, slash commands,
 * deferred replies, buttons, autocomplete, channel posts with a PNG, command
 * registration, dropped gateway connections, and the Discord errors the fake reproduces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  SlashCommandBuilder,
  type Interaction,
  type TextChannel,
} from 'discord.js';
import { PNG_SIGNATURE, isEphemeral, messageText, startFakeDiscord, type FakeDiscord } from './fake-discord/index.js';

// A 1×1 PNG (valid file) so the bytes checked are a real image's bytes.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

function newClient(fake: FakeDiscord, retries?: number): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: fake.apiBase, ...(retries === undefined ? {} : { retries }) },
  });
}

async function login(client: Client, token: string): Promise<void> {
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(token);
  await ready;
}

/** A small bot written with discord.js, answering the way the real one will. */
function attachBot(client: Client): void {
  client.on(Events.InteractionCreate, (interaction: Interaction) => {
    void (async () => {
      if (interaction.isAutocomplete()) {
        const typed = interaction.options.getFocused().toUpperCase();
        await interaction.respond(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'].filter((s) => s.startsWith(typed)).map((s) => ({ name: s, value: s })));
        return;
      }
      if (interaction.isButton()) {
        const [, ownerId] = interaction.customId.split(':');
        if (interaction.user.id !== ownerId) {
          await interaction.reply({ content: 'not allowed: only the requesting operator can confirm', flags: MessageFlags.Ephemeral });
          return;
        }
        await interaction.update({ content: 'Closed BTCUSDT', components: [] });
        return;
      }
      if (!interaction.isChatInputCommand()) return;
      switch (interaction.commandName) {
        case 'status':
          await interaction.reply({
            content: `status for ${interaction.user.id} roles=${interaction.inCachedGuild() ? [...interaction.member.roles.cache.keys()].sort().join(',') : 'dm'}`,
            embeds: [{ title: 'Status', fields: [{ name: 'Mode', value: 'paper' }] }],
          });
          return;
        case 'report':
          await interaction.deferReply({ flags: MessageFlags.Ephemeral });
          await interaction.editReply({
            content: `report for ${interaction.options.getString('date') ?? 'today'}`,
            files: [{ attachment: PNG, name: 'score.png' }],
          });
          return;
        case 'close': {
          const symbol = interaction.options.getString('symbol', true);
          const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
            new ButtonBuilder().setCustomId(`confirm:${interaction.user.id}`).setLabel(`Close ${symbol}`).setStyle(ButtonStyle.Danger),
          );
          await interaction.reply({ content: `Close ${symbol}?`, components: [row] });
          return;
        }
        case 'subscribe': {
          const channel = interaction.options.getChannel('channel', true);
          await interaction.reply({ content: `subscribed ${channel.id}`, flags: MessageFlags.Ephemeral });
          return;
        }
        case 'long':
          await interaction.reply({ content: 'x'.repeat(2001) }).catch(async (error: unknown) => {
            await interaction.reply({ content: `refused: ${(error as DiscordAPIError).code}` });
          });
          return;
        default:
          await interaction.reply({ content: `unknown ${interaction.commandName}` });
      }
    })();
  });
}

const definitions = [
  new SlashCommandBuilder().setName('status').setDescription('Engine status'),
  new SlashCommandBuilder()
    .setName('report')
    .setDescription('Report card')
    .addStringOption((o) => o.setName('date').setDescription('YYYY-MM-DD')),
  new SlashCommandBuilder()
    .setName('close')
    .setDescription('Close a position')
    .setDefaultMemberPermissions(1n << 5n)
    .addStringOption((o) => o.setName('symbol').setDescription('Symbol').setRequired(true).setAutocomplete(true)),
  new SlashCommandBuilder()
    .setName('subscribe')
    .setDescription('Subscribe a channel')
    .addChannelOption((o) => o.setName('channel').setDescription('Channel').setRequired(true)),
  new SlashCommandBuilder().setName('long').setDescription('Too long a reply'),
].map((b) => b.toJSON());

describe('fake Discord with the real discord.js client', () => {
  let fake: FakeDiscord;
  let client: Client;

  beforeAll(async () => {
    fake = await startFakeDiscord();
    client = newClient(fake);
    attachBot(client);
    await login(client, fake.token);
    await client.application?.commands.set(definitions, fake.ids.guildId);
  });

  afterAll(async () => {
    await client?.destroy();
    await fake?.close();
  });

  it('logs in through GET /gateway/bot, IDENTIFY with the Guilds intent, READY and GUILD_CREATE', () => {
    expect(client.user?.id).toBe(fake.bot.id);
    expect(client.application?.id).toBe(fake.applicationId);
    expect(fake.identifiedIntents()).toBe(GatewayIntentBits.Guilds);
    const guild = client.guilds.cache.get(fake.ids.guildId);
    expect(guild?.channels.cache.has(fake.ids.reportsChannelId)).toBe(true);
    expect(guild?.roles.cache.get(fake.ids.operatorRoleId)?.name).toBe('Operator');
    const gatewayInfo = fake.requests().find((r) => r.route === '/gateway/bot');
    expect(gatewayInfo?.authorization).toBe(`Bot ${fake.token}`);
  });

  it('stores the bulk-overwritten guild commands with ids, and keeps ids on a second overwrite', async () => {
    const first = fake.registeredCommands(fake.ids.guildId);
    expect(first.map((c) => c.name)).toEqual(['status', 'report', 'close', 'subscribe', 'long']);
    expect(first.find((c) => c.name === 'close')?.defaultMemberPermissions).toBe(String(1n << 5n));
    await client.application?.commands.set(definitions.slice(0, 2), fake.ids.guildId);
    const second = fake.registeredCommands(fake.ids.guildId);
    expect(second.map((c) => c.id)).toEqual(first.slice(0, 2).map((c) => c.id));
    await client.application?.commands.set(definitions, fake.ids.guildId);
    expect(fake.registeredCommands(null)).toEqual([]);
  });

  it('delivers a slash command with the member and its roles, and records the reply (callback type 4)', async () => {
    const { id } = fake.sendCommand({ name: 'status', userId: fake.ids.viewerUserId });
    const reply = await fake.waitForInteractionReply(id);
    expect(reply.callback?.type).toBe(4);
    expect(reply.original && messageText(reply.original)).toBe(
      // discord.js counts @everyone (id = guild id) among a member's roles.
      `status for ${fake.ids.viewerUserId} roles=${fake.ids.guildId},${fake.ids.viewerRoleId}\nStatus\nMode: paper`,
    );
    expect(reply.original && isEphemeral(reply.original)).toBe(false);
  });

  it('records a deferred ephemeral reply and its edit with a PNG attachment', async () => {
    const { id } = fake.sendCommand({ name: 'report', options: { date: '2026-11-29' } });
    const reply = await fake.waitForInteractionReply(id);
    expect(reply.callback?.type).toBe(5);
    expect(reply.edits).toHaveLength(1);
    const original = reply.original;
    expect(original?.payload['content']).toBe('report for 2026-11-29');
    expect(original && isEphemeral(original)).toBe(true);
    expect(original?.files[0]?.bytes.subarray(0, 8).toString('hex')).toBe(PNG_SIGNATURE.toString('hex'));
    expect(original?.files[0]?.bytes.toString('base64')).toBe(PNG.toString('base64'));
  });

  it('answers autocomplete (callback type 8) with the choices the bot sent', async () => {
    const { id } = fake.sendAutocomplete({ name: 'close', options: { symbol: 'et' }, focused: 'symbol' });
    const reply = await fake.waitForInteractionReply(id);
    expect(reply.callback?.type).toBe(8);
    expect(reply.callback?.data?.['choices']).toEqual([{ name: 'ETHUSDT', value: 'ETHUSDT' }]);
  });

  it('presses a button: a stranger gets an ephemeral refusal, the requester updates the message (type 7)', async () => {
    const { id } = fake.sendCommand({ name: 'close', options: { symbol: 'BTCUSDT' } });
    const prompt = await fake.waitForInteractionReply(id);
    const messageId = prompt.original?.id ?? '';
    const customId = `confirm:${fake.ids.operatorUserId}`;

    const refused = await fake.waitForInteractionReply(fake.pressButton({ messageId, customId, userId: fake.ids.strangerUserId }).id);
    expect(refused.callback?.type).toBe(4);
    expect(refused.original && isEphemeral(refused.original)).toBe(true);
    expect(refused.original?.payload['content']).toMatch(/^not allowed/);

    const confirmed = await fake.waitForInteractionReply(fake.pressButton({ messageId, customId }).id);
    expect(confirmed.callback?.type).toBe(7);
    expect(confirmed.original?.id).toBe(messageId);
    expect(confirmed.original?.payload['content']).toBe('Closed BTCUSDT');
    expect(confirmed.original?.payload['components']).toEqual([]);
    expect(() => fake.pressButton({ messageId, customId })).toThrow(/no button/);
  });

  it('refuses, like Discord, a press on an ephemeral message by someone who cannot see it', async () => {
    const { id } = fake.sendCommand({ name: 'close', options: { symbol: 'BTCUSDT' } });
    const prompt = await fake.waitForInteractionReply(id);
    const refusal = await fake.waitForInteractionReply(
      fake.pressButton({
        messageId: prompt.original?.id ?? '',
        customId: `confirm:${fake.ids.operatorUserId}`,
        userId: fake.ids.viewerUserId,
      }).id,
    );
    expect(() =>
      fake.pressButton({ messageId: refusal.original?.id ?? '', customId: 'anything', userId: fake.ids.operatorUserId }),
    ).toThrow(/no button|ephemeral/);
  });

  it('resolves channel options from the registered definition', async () => {
    const { id } = fake.sendCommand({ name: 'subscribe', options: { channel: fake.ids.reportsChannelId } });
    const reply = await fake.waitForInteractionReply(id);
    expect(reply.original?.payload['content']).toBe(`subscribed ${fake.ids.reportsChannelId}`);
    expect(() => fake.sendCommand({ name: 'subscribe', options: { chanel: fake.ids.reportsChannelId } })).toThrow(/no option "chanel"/);
  });

  it('sends a DM interaction without a guild or member', async () => {
    const { id } = fake.sendCommand({ name: 'status', guildId: null, userId: fake.ids.strangerUserId });
    const reply = await fake.waitForInteractionReply(id);
    expect(reply.guildId).toBeNull();
    expect(reply.original?.payload['content']).toBe(`status for ${fake.ids.strangerUserId} roles=dm`);
  });

  it('rejects a reply over 2000 characters (50035) and a second callback (40060)', async () => {
    const { id } = fake.sendCommand({ name: 'long' });
    const reply = await fake.waitForInteractionReply(id, { until: (r) => r.rejected.length >= 1 && r.callback !== null });
    expect(reply.rejected[0]?.code).toBe(50035);
    expect(reply.original?.payload['content']).toBe('refused: 50035');
    await expect(
      client.rest.post(`/interactions/${id}/${reply.token}/callback`, { body: { type: 4, data: { content: 'again' } }, auth: false }),
    ).rejects.toMatchObject({
      code: 40060,
    });
  });

  it('keeps the bytes of a PNG posted to a channel as multipart/form-data, and serves them back', async () => {
    const channel = (await client.channels.fetch(fake.ids.reportsChannelId)) as TextChannel;
    await channel.send({ content: 'Daily report', embeds: [{ title: 'Score 82/100' }], files: [{ attachment: PNG, name: 'equity.png' }] });
    const message = await fake.waitForChannelMessage(fake.ids.reportsChannelId);
    expect(messageText(message)).toBe('Daily report\nScore 82/100');
    expect(message.files[0]?.filename).toBe('equity.png');
    expect(message.files[0]?.contentType).toBe('image/png');
    expect(message.files[0]?.bytes.toString('base64')).toBe(PNG.toString('base64'));
    const url = String((message.payload['attachments'] as { url: string }[])[0]?.url);
    const served = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(served.toString('base64')).toBe(PNG.toString('base64'));
  });

  it('answers 403 Missing Access for a channel the bot may not post in', async () => {
    const channel = (await client.channels.fetch(fake.ids.mutedChannelId)) as TextChannel;
    await expect(channel.send('hello')).rejects.toMatchObject({ code: 50001, status: 403 });
  });

  it('injects rate limits (discord.js waits Retry-After and retries) on channel posts', async () => {
    fake.failNextChannelPosts(1, 'rate_limit', 0.05);
    const channel = (await client.channels.fetch(fake.ids.generalChannelId)) as TextChannel;
    await channel.send('after a 429');
    const posted = await fake.waitForChannelMessage(fake.ids.generalChannelId, { where: (m) => m.payload['content'] === 'after a 429' });
    expect(posted.payload['content']).toBe('after a 429');
    const posts = fake.requests().filter((r) => r.method === 'POST' && r.route === `/channels/${fake.ids.generalChannelId}/messages`);
    expect(posts.map((r) => r.status).slice(-2)).toEqual([429, 200]);
  });

  it('resumes after the gateway connection is cut, replaying what was dispatched meanwhile', async () => {
    fake.dropGateway({ refuseMs: 300 });
    const { id } = fake.sendCommand({ name: 'status' });
    const back = await fake.waitForReconnect();
    expect(back.kind).toBe('resumed');
    const reply = await fake.waitForInteractionReply(id);
    expect(reply.callback?.type).toBe(4);
    const kinds = fake.gatewayEvents().map((e) => e.kind);
    expect(kinds).toContain('drop');
  });
});

describe('fake Discord faults that need their own client', () => {
  it('refuses a wrong token at login (401 on /gateway/bot → TokenInvalid)', async () => {
    const fake = await startFakeDiscord();
    const client = newClient(fake);
    try {
      await expect(client.login('not-the-token')).rejects.toMatchObject({ code: 'TokenInvalid' });
    } finally {
      await client.destroy();
      await fake.close();
    }
  });

  it('makes a server error reach the caller when discord.js does not retry', async () => {
    const fake = await startFakeDiscord();
    const client = newClient(fake, 0);
    try {
      await login(client, fake.token);
      fake.failNextChannelPosts(1, 'server_error');
      const channel = (await client.channels.fetch(fake.ids.generalChannelId)) as TextChannel;
      await expect(channel.send('lost')).rejects.toMatchObject({ status: 500 });
      await channel.send('second try');
      const message = await fake.waitForChannelMessage(fake.ids.generalChannelId);
      expect(message.payload['content']).toBe('second try');
    } finally {
      await client.destroy();
      await fake.close();
    }
  });

  it('identifies again when the session was forgotten (INVALID_SESSION), then answers interactions', async () => {
    const fake = await startFakeDiscord();
    const client = newClient(fake);
    attachBot(client);
    try {
      await login(client, fake.token);
      fake.dropGateway({ code: 4000, invalidateSessions: true });
      const back = await fake.waitForReconnect({ timeoutMs: 20_000 });
      expect(back.kind).toBe('ready');
      expect(fake.gatewayEvents().map((e) => e.kind)).toContain('invalid_session');
      const reply = await fake.waitForInteractionReply(fake.sendCommand({ name: 'status' }).id);
      expect(reply.callback?.type).toBe(4);
    } finally {
      await client.destroy();
      await fake.close();
    }
  });
});
