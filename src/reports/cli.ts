/**
 * `npm run report -- --date YYYY-MM-DD [--charts]`: the daily report of one UTC day, on
 * demand or from an external cron (BLUEPRINT "Daily report": a one-shot `npm run report`
 * exists for an external cron too). Writes the JSON/Markdown files and the database record;
 * it does not change the running engine's grade (the bot does that at 00:00 UTC).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SystemClock } from '../adapters/clock.js';
import type { Config } from '../config.js';
import { openStore } from '../db/store.js';
import type { Clock, Logger, Notifier } from '../engine/ports.js';
import type { DailyReport } from '../engine/reports.js';
import { UserInputError } from '../errors.js';
import { addDays, isUtcDay, utcDayOf } from '../engine/utc-day.js';
import { reportLogLine } from './builder.js';
import { dailyReportSettings } from './wiring.js';
import { reportPaths } from './files.js';
import { DailyReports } from './service.js';

export interface ReportArgs {
  /** The UTC day; default yesterday. */
  readonly date: string | null;
  /** Also write the chart PNGs beside the report files. */
  readonly charts: boolean;
}

const USAGE = 'usage: npm run report -- [--date YYYY-MM-DD] [--charts]';

export function parseReportArgs(argv: readonly string[]): ReportArgs {
  let date: string | null = null;
  let charts = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--charts') charts = true;
    else if (arg === '--date' || arg.startsWith('--date=')) {
      const value = arg === '--date' ? argv[++i] : arg.slice('--date='.length);
      if (value === undefined || !isUtcDay(value))
        throw new UserInputError(`--date needs a UTC day YYYY-MM-DD, got ${value === undefined ? 'nothing' : `"${value}"`}\n${USAGE}`);
      date = value;
    } else if (arg === '--help' || arg === '-h') throw new UserInputError(USAGE);
    else throw new UserInputError(`unknown option "${arg}"\n${USAGE}`);
  }
  return { date, charts };
}

export interface ReportRun {
  readonly report: DailyReport;
  readonly files: readonly string[];
  readonly logLine: string;
}

/** Generates the report of `args.date` (default: yesterday UTC) from the store of `config`. */
export async function runReport(config: Config, args: ReportArgs, logger: Logger, clock: Clock = new SystemClock()): Promise<ReportRun> {
  const store = await openStore(config.storeUrl, { logger, clock });
  try {
    const day = args.date ?? addDays(utcDayOf(clock.now()), -1);
    const snapshot = await store.loadSnapshot();
    const venue = snapshot?.venue as { walletBalanceUsdt?: unknown } | null | undefined;
    const wallet = typeof venue?.walletBalanceUsdt === 'number' ? venue.walletBalanceUsdt : null;
    const silent: Notifier = { notify: () => undefined };
    const reports = new DailyReports({
      ...dailyReportSettings(config),
      store,
      archive: store.dailyReports,
      clock,
      logger,
      notifier: silent,
      equity: async () => (wallet === null ? null : { usdt: wallet, source: 'venue' }),
      dir: config.reports.dir,
    });
    const report = await reports.generate(day, { apply: false, alert: false });
    const paths = reportPaths(config.reports.dir, day);
    const files = [paths.json, paths.markdown];
    if (args.charts) {
      await mkdir(join(config.reports.dir, 'daily'), { recursive: true });
      for (const chart of await reports.charts(report)) {
        const path = join(config.reports.dir, 'daily', chart.name);
        await writeFile(path, chart.data);
        files.push(path);
      }
    }
    return { report, files, logLine: reportLogLine(report) };
  } finally {
    await store.close();
  }
}
