/**
 * Runs every `bench/*.bench.ts` (or those named on the command line) and prints one JSON
 * line per figure: {"name","value","unit"} plus "baseline" where compared with one.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { BenchModule, Figure } from './figure.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(here))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const file of files) {
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
    await mod.run((figure: Figure) => process.stdout.write(`${JSON.stringify(figure)}\n`));
  } catch (error) {
    failed++;
    process.stderr.write(`bench ${file} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
