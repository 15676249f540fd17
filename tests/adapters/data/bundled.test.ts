import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundledDataDir } from '../../../src/adapters/data/layout.js';

/** Every file under `dir`, relative to it, with forward slashes. */
function listFiles(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path, root) : [relative(root, path).split('\\').join('/')];
  });
}

describe('the bundled data/ folder', () => {
  const dir = bundledDataDir();
  const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [hash, path] = line.split(/\s+/);
      return { hash: hash!, path: path! };
    });

  it('matches SHA256SUMS file by file', () => {
    for (const { hash, path } of sums) {
      const actual = createHash('sha256').update(readFileSync(join(dir, path), 'latin1'), 'latin1').digest('hex');
      expect({ path, hash: actual }).toEqual({ path, hash });
    }
  });

  it('lists every file in SHA256SUMS', () => {
    const listed = new Set(sums.map((s) => s.path));
    const unlisted = listFiles(dir).filter((f) => f !== 'SHA256SUMS' && !listed.has(f));
    expect(unlisted).toEqual([]);
  });

  it('stays a few MB', () => {
    const totalBytes = listFiles(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    expect(totalBytes).toBeLessThan(5 * 1024 * 1024);
  });
});
