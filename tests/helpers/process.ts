import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsxLoader = pathToFileURL(join(projectRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface Spawned {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Resolves when `pattern` appears in stdout+stderr, rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
}

/**
 * Runs a TypeScript entry point of the project in ONE node process (`node --import tsx`, as
 * `npm start` does), so a signal sent to the child reaches the bot itself, with a clean env.
 */
export function spawnTs(entry: string, env: Record<string, string>, args: readonly string[] = [], cwd = projectRoot): Spawned {
  const child = spawn(process.execPath, ['--import', tsxLoader, join(projectRoot, entry), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_NO_WARNINGS: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const result: Spawned = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1))),
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          if (pattern.test(result.stdout + result.stderr)) return resolve();
          if (Date.now() - started > timeoutMs || child.exitCode !== null)
            return reject(new Error(`timed out waiting for ${pattern}; output:\n${result.stdout}\n${result.stderr}`));
          setTimeout(check, 50);
        };
        check();
      });
    },
  };
  child.stdout?.on('data', (d: Buffer) => (result.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (result.stderr += d.toString()));
  return result;
}
