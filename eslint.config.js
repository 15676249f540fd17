// ESLint flat config: type-aware typescript-eslint rules, the architecture's import
// boundaries (ARCHITECTURE.md "Rules that keep it simple") and size limits.
// Formatting is Prettier's job (.prettierrc.json), not ESLint's.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

const root = path.dirname(fileURLToPath(import.meta.url));

/** The layers of src/ as eslint-plugin-boundaries elements (first matching pattern wins). */
const elements = [
  { type: 'engine', pattern: 'src/engine' },
  { type: 'adapters', pattern: 'src/adapters' },
  { type: 'db', pattern: 'src/db' },
  { type: 'commands', pattern: 'src/commands' },
  { type: 'discord', pattern: 'src/discord' },
  { type: 'reports', pattern: 'src/reports' },
  { type: 'console', pattern: 'src/console' },
  { type: 'backtest', pattern: 'src/backtest' },
  { type: 'app', pattern: 'src/*' },
  // The files directly in src/: main, runtime, config, logger, errors, backtest.
  { type: 'root', pattern: 'src' },
];

/** Node's globals, for the few plain JavaScript files. */
const NODE_GLOBALS = {
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
};

const ENGINE_FORBIDDEN_PACKAGES = ['ccxt', 'discord.js', 'keyv', '@keyv/*', 'winston', 'pg', 'sqlite3'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'state/**', 'data/**', 'reports/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      // The two that matter most in a bot that must never drop an order.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `x ?? fallback` on a value typed non-nullable still guards data read from outside.
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // `never` shows up after a failed type guard, in exactly the message that reports the bad value.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true, allowNever: true },
      ],
      // Port implementations are `async` without an `await` on purpose: a throw becomes a
      // rejection, as callers of a Promise-returning port expect.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: {
      // vitest's asymmetric matchers (expect.any, expect.arrayContaining) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // The fakes echo JSON of unknown shape from requests into their answers and messages.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: NODE_GLOBALS },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...NODE_GLOBALS, require: 'readonly', module: 'writable', exports: 'writable' } },
    // eslint-module-utils loads a resolver with require(): it must be CommonJS.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': elements,
      'boundaries/include': ['src/**/*.ts'],
      'import/resolver': { [path.join(root, 'eslint/resolve-ts.cjs')]: {} },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'allow',
          // Also check imports of packages (ccxt, discord.js, …), not only of our own files.
          checkAllOrigins: true,
          policies: [
            {
              from: { element: { type: 'engine' } },
              disallow: {
                to: {
                  element: { types: { anyOf: ['adapters', 'db', 'commands', 'discord', 'reports', 'console', 'backtest', 'app', 'root'] } },
                },
              },
              message:
                'src/engine imports no adapters, db, commands, discord, reports or composition code: it talks to the outside through src/engine/ports.ts (ARCHITECTURE.md)',
            },
            {
              // The error classes (src/errors.ts) are shared by every layer, the engine included.
              from: { element: { type: 'engine' } },
              allow: { to: { element: { type: 'root', fileInternalPath: 'errors.ts' } } },
            },
            {
              from: { element: { type: 'engine' } },
              disallow: { to: { module: { origin: 'external', source: ENGINE_FORBIDDEN_PACKAGES } } },
              message:
                'src/engine imports no ccxt, discord.js, keyv or winston (or database drivers): use a port in src/engine/ports.ts (ARCHITECTURE.md)',
            },
            {
              from: { element: { type: 'commands' } },
              disallow: [{ to: { element: { type: 'discord' } } }, { to: { module: { origin: 'external', source: 'discord.js' } } }],
              message: 'src/commands never import src/discord or discord.js: a command returns a transport-neutral reply (ARCHITECTURE.md)',
            },
            {
              from: { element: { types: { anyOf: ['adapters', 'db'] } } },
              disallow: { to: { element: { type: 'discord' } } },
              message: 'adapters never import src/discord (ARCHITECTURE.md)',
            },
          ],
        },
      ],
      'max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
);
