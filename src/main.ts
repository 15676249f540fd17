/**
 * Composition root and process lifecycle: config → logger → the bot (src/runtime.ts)
 * → signals. `npm start` runs this through tsx (no build step).
 *
 *   --print-config   print the effective configuration (secrets redacted) and exit
 */
import 'dotenv/config';
import { loadConfig, redactedConfigLines } from './config.js';
import { ConfigError, TraderError, describeError } from './errors.js';
import { createLogger } from './logger.js';
import { startBot, type RunningBot } from './runtime.js';

const EXIT_CONFIG = 2;

async function main(): Promise<void> {
  if (process.argv.includes('--print-config')) {
    process.stdout.write(`${redactedConfigLines(process.env).join('\n')}\n`);
    // Validate too, so the printout says whether it would start.
    loadConfig(process.env);
    return;
  }
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const log = logger.child('main');

  let bot: RunningBot | null = null;
  let stopping: Promise<void> | null = null;
  const shutdown = (signal: string, exitCode: number): Promise<void> => {
    if (stopping !== null) return stopping;
    log.info(`${signal}: shutting down (no new entries, in-flight orders finish)`);
    stopping = (async () => {
      const forced = setTimeout(() => {
        log.error('shutdown took longer than 20 s; exiting anyway (positions stay protected by exchange-side stops)');
        process.exit(exitCode === 0 ? 1 : exitCode);
      }, 20_000);
      forced.unref();
      try {
        await bot?.stop(signal);
        if (exitCode === 0) log.info('stopped cleanly');
        else log.info(`stopped (exit code ${exitCode})`);
      } catch (error) {
        log.error('error during shutdown', { error: describeError(error) });
        exitCode = exitCode === 0 ? 1 : exitCode;
      }
      process.exit(exitCode);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  // A stray rejection must not kill a process that manages open positions: log it and go on;
  // the position loop keeps running and exchange-side stops protect every position.
  process.on('unhandledRejection', (reason) => {
    log.error('unhandled promise rejection (the bot keeps running)', { error: describeError(reason) });
  });
  process.on('uncaughtException', (error) => {
    log.error('uncaught exception: shutting down safely', { error: describeError(error) });
    void shutdown('uncaughtException', 1);
  });

  // Without DISCORD_TOKEN, the same commands are offered on stdin (the console twin).
  bot = await startBot(config, logger, { console: true });
  // The replay may end (all data played): stay up, as a worker should, until told to stop.
  // A failure to trade (corrupt store, lease lost, exchange refusing the keys) exits non-zero
  // so the platform restarts it and the operator sees it.
  void bot.finished.then((finished) => {
    if (finished.exitCode === null) log.info(finished.reason);
    else {
      // Also on stderr, where an operator looks first when a process dies.
      process.stderr.write(`${finished.reason}\n`);
      void shutdown(finished.reason, finished.exitCode);
    }
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n\nFix the variables above (see README "Configuration") and start again.\n`);
    process.exit(EXIT_CONFIG);
  }
  const message = error instanceof TraderError ? error.message : describeError(error);
  process.stderr.write(`Could not start: ${message}\n`);
  process.exit(1);
});
