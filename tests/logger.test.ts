/** Log lines for people on a terminal, JSON lines for collectors (LOG_FORMAT). */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogOutput, colorWanted, createLogger, resolveLogFormat } from '../src/logger.js';
import { loadConfig } from '../src/config.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, lines: () => text.split('\n').filter((l) => l !== '') };
}

async function flush(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('human log lines (LOG_FORMAT=pretty)', () => {
  it('shows time, level, component, message and key=value fields on one line', async () => {
    const out = capture();
    const logger = createLogger({ level: 'debug', format: 'pretty', color: false, stream: out.stream });
    logger.child('trader').info('opened BTCUSDT long', { size: 0.01, reason: 'breakout up', at: null });
    logger.child('lanes').warn('breaker open');
    logger.debug('hidden detail');
    await flush();
    const [first, second, third] = out.lines();
    expect(first).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}trader {3}opened BTCUSDT long size=0.01 reason="breakout up" at=null$/);
    expect(second).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}lanes {4}breaker open$/);
    expect(third).toMatch(/ DEBUG - {8}hidden detail$/);
  });

  it('colours the level (and warnings) on a terminal, and not at all when told not to', async () => {
    const coloured = capture();
    createLogger({ level: 'info', format: 'pretty', color: true, stream: coloured.stream }).warn('stop missing');
    const plain = capture();
    createLogger({ level: 'info', format: 'pretty', color: false, stream: plain.stream }).warn('stop missing');
    await flush();
    expect(coloured.lines()[0]).toContain('\u001b[33mWARN \u001b[0m');
    expect(plain.lines()[0]).not.toContain('\u001b[');
  });

  it('honours NO_COLOR, and never colours what is not a terminal', () => {
    expect(colorWanted({}, true)).toBe(true);
    expect(colorWanted({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorWanted({ NO_COLOR: '' }, true)).toBe(true);
    expect(colorWanted({}, false)).toBe(false);
  });
});

describe('JSON log lines (LOG_FORMAT=json, the default off a terminal)', () => {
  it('keeps one JSON object per line with level, message, component, timestamp and the fields', async () => {
    const out = capture();
    createLogger({ level: 'info', format: 'json', stream: out.stream }).child('trader').info('opened', { symbol: 'BTCUSDT', size: 0.01 });
    await flush();
    const line = JSON.parse(out.lines()[0] ?? '') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', message: 'opened', component: 'trader', symbol: 'BTCUSDT', size: 0.01 });
    expect(typeof line['timestamp']).toBe('string');
  });

  it('auto means pretty on a terminal and JSON otherwise', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('reads LOG_FORMAT from the environment, default auto, and refuses other values', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT.*auto \(pretty on a terminal, JSON otherwise\), pretty or json/s);
  });
});

describe('log output take-over (the console prompt)', () => {
  it('routes lines to whoever took the output over, and back when released', () => {
    const seen: string[] = [];
    const fallback: string[] = [];
    const output = new LogOutput((text) => fallback.push(text));
    output.write('a\n');
    const release = output.takeOver((text) => seen.push(text));
    output.write('b\n');
    release();
    output.write('c\n');
    expect(seen).toEqual(['b\n']);
    expect(fallback).toEqual(['a\n', 'c\n']);
  });
});
