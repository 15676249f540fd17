/**
 * The lint configuration (eslint.config.js) enforces ARCHITECTURE.md's never-rules and the
 * size limits. Snippets are linted as if they were files in src/ (ESLint's Node API,
 * lintText with a file path); the type-aware rules are switched off for them, since the
 * snippets are not part of the TypeScript program, and checked separately to be on.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root, overrideConfig: [{ ...tseslint.configs.disableTypeChecked, files: ['**/*.ts'] }] });
});

async function lint(file: string, code: string): Promise<{ ruleId: string | null; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => ({ ruleId: m.ruleId, message: m.message }));
}

describe('import boundaries', { timeout: 120_000 }, () => {
  it('refuses an import of src/adapters inside src/engine', async () => {
    const messages = await lint(
      'src/engine/lint-probe.ts',
      "import { PaperExchange } from '../adapters/paper/paper-exchange.js';\nexport const probe = PaperExchange;\n",
    );
    expect(messages).toEqual([{ ruleId: 'boundaries/dependencies', message: expect.stringContaining('src/engine imports no adapters') }]);
  });

  it('refuses src/db and the composition root inside src/engine, from a nested folder too', async () => {
    const messages = await lint(
      'src/engine/trader/lint-probe.ts',
      "import { openStore } from '../../db/store.js';\nimport { loadConfig } from '../../config.js';\nexport const probe = [openStore, loadConfig];\n",
    );
    expect(messages.map((m) => m.ruleId)).toEqual(['boundaries/dependencies', 'boundaries/dependencies']);
  });

  it('refuses ccxt and keyv inside src/engine', async () => {
    const messages = await lint(
      'src/engine/lint-probe.ts',
      "import ccxt from 'ccxt';\nimport { Keyv } from 'keyv';\nexport const probe = [ccxt, Keyv];\n",
    );
    expect(messages).toHaveLength(2);
    for (const m of messages) expect(m.message).toContain('src/engine imports no ccxt, discord.js, keyv or winston');
  });

  it('lets src/engine import its own modules and the shared error classes', async () => {
    const messages = await lint(
      'src/engine/lint-probe.ts',
      "import { CANDLE_MS } from './types.js';\nimport { describeError } from '../errors.js';\nexport const probe = [CANDLE_MS, describeError];\n",
    );
    expect(messages).toEqual([]);
  });

  it('refuses discord.js inside src/commands and allows the engine there', async () => {
    const refused = await lint('src/commands/lint-probe.ts', "import { Client } from 'discord.js';\nexport const probe = Client;\n");
    expect(refused).toEqual([
      { ruleId: 'boundaries/dependencies', message: expect.stringContaining('src/commands never import src/discord or discord.js') },
    ]);
    const allowed = await lint(
      'src/commands/lint-probe.ts',
      "import type { Control } from '../engine/control.js';\nexport type Probe = Control;\n",
    );
    expect(allowed).toEqual([]);
  });
});

describe('size limits', { timeout: 120_000 }, () => {
  const longFunction = (lines: number): string =>
    `export function long(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(lines - 4)}  return n;\n}\n`;

  it('refuses a function over 80 lines in src/engine, not elsewhere', async () => {
    expect((await lint('src/engine/lint-probe.ts', longFunction(81))).map((m) => m.ruleId)).toEqual(['max-lines-per-function']);
    expect(await lint('src/engine/lint-probe.ts', longFunction(80))).toEqual([]);
    expect(await lint('src/adapters/lint-probe.ts', longFunction(81))).toEqual([]);
  });

  it('refuses a file over 500 lines in src/', async () => {
    const code = `export const values: number[] = [];\n${'values.push(1);\n'.repeat(500)}`;
    expect((await lint('src/adapters/lint-probe.ts', code)).map((m) => m.ruleId)).toEqual(['max-lines']);
  });

  it('exempts no file: every file in src/ has the 500-line limit, every file in src/engine the 80-line function limit', async () => {
    const full = new ESLint({ cwd: root });
    const files = readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files).toContain(path.join('adapters', 'paper', 'paper-exchange.ts'));
    for (const file of files) {
      const config = (await full.calculateConfigForFile(path.join(root, 'src', file))) as { rules: Record<string, unknown> };
      expect(config.rules['max-lines'], file).toEqual([2, expect.objectContaining({ max: 500 })]);
      if (file.startsWith(`engine${path.sep}`)) {
        expect(config.rules['max-lines-per-function'], file).toEqual([2, expect.objectContaining({ max: 80 })]);
      }
    }
  });
});

describe('type-aware rules', { timeout: 120_000 }, () => {
  it('are on for src/ (floating and misused promises)', async () => {
    const config = (await new ESLint({ cwd: root }).calculateConfigForFile(path.join(root, 'src/engine/trader.ts'))) as {
      rules: Record<string, unknown>;
    };
    for (const rule of ['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises']) {
      const setting = config.rules[rule];
      expect([setting, Array.isArray(setting) ? setting[0] : undefined]).toContain(2);
    }
  });
});
