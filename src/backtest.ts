/**
 * Backtest CLI entry point (`npm run backtest -- --symbols BTCUSDT …`); see src/backtest/cli.ts.
 * Bad flags or data: a clear message and exit code 2. Progress bar on stderr when it is a TTY.
 */
import 'dotenv/config';
import { writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { parseBacktestArgs, summaryTable, tradesCsv } from './backtest/cli.js';
import { renderReport } from './backtest/report-render.js';
import { modelReportText } from './backtest/model-report.js';
import { runBacktest, type BacktestOptions, type BacktestResult } from './backtest/run-backtest.js';
import { runSelfLearningBacktest } from './backtest/self-learning.js';
import { backtestConfig } from './backtest/settings.js';
import { ConfigError, DataError, UserInputError } from './errors.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  const args = parseBacktestArgs(process.argv.slice(2));
  const logger = createLogger({
    level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn',
    pretty: process.stderr.isTTY === true,
    stream: process.stderr,
  });
  const bar =
    process.stderr.isTTY === true
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: 'backtest [{bar}] {percentage}% | {value}/{total} candles | ETA {eta}s' },
          cliProgress.Presets.shades_classic,
        )
      : null;
  let barStarted = false;
  // The same environment and .env as `npm start`; the flags override it.
  const { config, settings } = backtestConfig(process.env, {
    symbols: args.symbols,
    strategy: args.strategy,
    equityUsdt: args.equityUsdt,
    dataDir: args.dataDir,
  });
  const options: BacktestOptions = {
    config,
    settings,
    ...(args.fromMs !== undefined ? { fromMs: args.fromMs } : {}),
    ...(args.toMs !== undefined ? { toMs: args.toMs } : {}),
    logger,
    onProgress: (done, total) => {
      if (bar === null) return;
      if (!barStarted) {
        bar.start(total, 0);
        barStarted = true;
      }
      bar.update(done);
    },
  };
  // Self-learning (src/backtest/self-learning.ts): walk-forward model, the engine with it and rules-only; a `model` section.
  const learning = args.strategy === 'self_learning' ? await runSelfLearningBacktest(options, (m) => process.stderr.write(`${m}\n`)) : null;
  const result: BacktestResult = learning?.result ?? (await runBacktest(options));
  bar?.stop();
  process.stdout.write(`${summaryTable(result)}\n`);
  if (learning !== null) process.stdout.write(`${modelReportText(learning.model)}\n`);
  if (args.json !== undefined) {
    // The whole report (summary, exploration, all, perPair, perExitReason, perRule, longShort,
    // leverageDistribution, signals, buyAndHold, settings, warnings), the model section, every trade.
    const model = learning === null ? {} : { model: learning.model };
    await writeFile(args.json, `${JSON.stringify({ ...result.report, ...model, trades: result.trades }, null, 2)}\n`);
    process.stdout.write(`wrote ${args.json}\n`);
  }
  if (args.reportMd !== undefined) {
    const model = learning === null ? '' : `\n\n## Model\n\n\`\`\`\n${modelReportText(learning.model)}\n\`\`\`\n`;
    await writeFile(args.reportMd, `${renderReport(result.report, 'markdown')}${model}\n`);
    process.stdout.write(`wrote ${args.reportMd}\n`);
  }
  if (args.tradesCsv !== undefined) {
    await writeFile(args.tradesCsv, tradesCsv(result.trades));
    process.stdout.write(`wrote ${args.tradesCsv}\n`);
  }
}

main().catch((error: unknown) => {
  const badInput = error instanceof UserInputError || error instanceof DataError || error instanceof ConfigError;
  process.stderr.write(`${badInput ? '' : 'backtest failed: '}${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(badInput ? 2 : 1);
});
