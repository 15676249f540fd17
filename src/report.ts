/**
 * `npm run report -- --date YYYY-MM-DD [--charts]`: one daily report card on demand (see
 * src/reports/cli.ts). Bad input: a clear message and exit code 2.
 */
import 'dotenv/config';
import { loadConfig } from './config.js';
import { ConfigError, UserInputError, describeError } from './errors.js';
import { createLogger } from './logger.js';
import { parseReportArgs, runReport } from './reports/cli.js';

async function main(): Promise<void> {
  const args = parseReportArgs(process.argv.slice(2));
  const config = loadConfig(process.env);
  const logger = createLogger({
    level: config.logLevel === 'debug' ? 'debug' : 'warn',
    pretty: process.stderr.isTTY === true,
    stream: process.stderr,
  });
  const run = await runReport(config, args, logger);
  process.stdout.write(`${run.logLine}\n`);
  for (const file of run.files) process.stdout.write(`wrote ${file}\n`);
}

main().catch((error: unknown) => {
  const badInput = error instanceof UserInputError || error instanceof ConfigError;
  process.stderr.write(`${badInput ? '' : 'report failed: '}${error instanceof Error ? error.message : describeError(error)}\n`);
  process.exit(badInput ? 2 : 1);
});
