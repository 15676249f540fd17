import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults, variableNames } from '../src/config.js';
import { projectRoot } from './helpers/process.js';

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');

describe('README', () => {
  it('shows the two commands and the test command', () => {
    expect(readme).toContain('npm install');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });

  it('documents every configuration variable with its real default', () => {
    for (const name of variableNames) {
      // Cells may be padded (Prettier aligns markdown tables).
      const row = readme.split('\n').find((line) => new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`).test(line));
      expect(row, `README row for ${name}`).toBeDefined();
      const documented = row!.split('|')[2]!.trim();
      const actual = defaults[name];
      if (actual !== undefined) expect(documented, name).toBe(`\`${actual}\``);
    }
  });
});
