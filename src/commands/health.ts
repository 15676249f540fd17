/** /health: loop lag, memory, lanes, breaker, store and model. */
import type { CommandDefinition, ReplyField } from './types.js';
import { duration, mb, utcTime } from './format.js';

export const health: CommandDefinition = {
  name: 'health',
  description: 'Loop lag, memory, execution lanes, breaker, store and model',
  permission: 'viewer',
  options: [],
  slow: false,
  async handle({ control }) {
    const h = await control.healthReport();
    const c = h.controller;
    const fields: ReplyField[] = [
      {
        name: 'Position loop',
        value:
          c === null
            ? 'not running'
            : [
                `${c.running ? 'running' : 'stopped'} · ${c.ticks} ticks (${c.failedTicks} failed)`,
                `lag ${c.lastLagMs} ms · last ${c.lastTickMs ?? 'n/a'} ms · max ${c.maxTickMs} ms`,
                `last tick ${c.lastTickAt === null ? 'never' : utcTime(c.lastTickAt)}`,
              ].join('\n'),
      },
      { name: 'Memory', value: `rss ${mb(h.rssBytes)} · heap ${mb(h.heapUsedBytes)}`, inline: true },
      { name: 'Store', value: h.store, inline: true },
      { name: 'Model', value: h.model.version === null ? h.model.label : `${h.model.label} (${h.model.version})`, inline: true },
      { name: 'Uptime', value: duration(h.uptimeMs), inline: true },
    ];
    if (h.lanes === null) {
      fields.push({ name: 'Lanes', value: 'no exchange requests (paper on replay data)' });
    } else {
      const l = h.lanes;
      fields.push(
        { name: 'Breaker', value: `${l.breaker}${l.blockedUntil !== null ? ` until ${utcTime(l.blockedUntil)}` : ''}`, inline: true },
        { name: 'Weight (1 min)', value: `${l.usedWeight1m} / ${l.weightLimit1m}`, inline: true },
        { name: 'Orders', value: `${l.orders10s} /10 s · ${l.orders1m} /min`, inline: true },
        {
          name: 'Lanes (queued · in flight · p99 wait)',
          value: l.lanes.map((lane) => `P${lane.priority}: ${lane.queued} · ${lane.inFlight} · ${lane.waitP99Ms} ms`).join('\n'),
        },
        {
          name: 'Last 429 / 418',
          value: `${l.last429At === null ? 'never' : utcTime(l.last429At)} / ${l.last418At === null ? 'never' : utcTime(l.last418At)}`,
        },
      );
    }
    const tone =
      h.store !== 'ok' || h.lanes?.breaker === 'block' ? 'danger' : h.lanes !== null && h.lanes.breaker !== 'ok' ? 'warning' : 'neutral';
    return { title: 'Health', lines: [], fields, tone, ephemeral: false, footer: `as of ${utcTime(control.now())}` };
  },
};
