/**
 * Backtest CLI pieces (argument parsing, summary table, CSV), tested without a process:
 *   npm run backtest -- --symbols BTCUSDT,ETHUSDT [--from 2025-08-01] [--to 2025-10-31]
 *     [--data DIR] [--strategy rules|self_learning] [--equity 1000] [--json out.json] [--trades trades.csv] [--report report.md]
 * Bad flags: a clear message and exit code 2. Progress bar on stderr when it is a TTY.
 */
import { parseArgs } from 'node:util';
import { renderReport } from './report-render.js';
import type { BacktestResult } from './run-backtest.js';
import { UserInputError, describeError } from '../errors.js';
import type { StrategyMode, TradeRecord } from '../engine/types.js';
import { DAY_MS } from '../engine/metrics.js';
import { isUtcDay, utcDayStart } from '../engine/utc-day.js';

const usage = `Usage: npm run backtest -- --symbols BTCUSDT,ETHUSDT [--from YYYY-MM-DD] [--to YYYY-MM-DD]
       [--data DIR] [--strategy rules|self_learning] [--equity 1000] [--json out.json] [--trades trades.csv] [--report report.md]
Settings (fees, slippage, limits…) come from the environment and .env, as for npm start; flags override.`;

/** The flags; a setting not given (undefined) comes from the environment or its default (src/backtest/settings.ts). */
export interface BacktestArgs {
  readonly symbols: string[];
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
  readonly dataDir: string | undefined;
  readonly strategy: StrategyMode | undefined;
  readonly equityUsdt: number | undefined;
  readonly json: string | undefined;
  readonly tradesCsv: string | undefined;
  /** Markdown report file (`--report FILE.md`). */
  readonly reportMd: string | undefined;
}

function parseDay(flag: string, value: string, endOfDay: boolean): number {
  const plainDay = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const match = plainDay ? (isUtcDay(value) ? utcDayStart(value) : Number.NaN) : Date.parse(value);
  if (!Number.isFinite(match)) throw new UserInputError(`--${flag} "${value}" is not a date; expected YYYY-MM-DD (UTC)`);
  // A plain day for --to means "through the end of that day".
  return endOfDay && plainDay ? match + DAY_MS - 1 : match;
}

export function parseBacktestArgs(argv: readonly string[]): BacktestArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        symbols: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        data: { type: 'string' },
        strategy: { type: 'string' },
        equity: { type: 'string' },
        json: { type: 'string' },
        trades: { type: 'string' },
        report: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UserInputError(`${describeError(error).replace(/^TypeError[^:]*: /, '')}\n${usage}`);
  }
  if (values.help === true) throw new UserInputError(usage);
  const problems: string[] = [];
  const symbolsRaw = typeof values.symbols === 'string' ? values.symbols : '';
  const symbols = symbolsRaw
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s.length > 0);
  if (symbols.length === 0) problems.push('--symbols is required, e.g. --symbols BTCUSDT,ETHUSDT');
  for (const s of symbols)
    if (!/^[A-Z0-9]{2,20}USDT$/.test(s)) problems.push(`--symbols: "${s}" is not a Binance USDT-M symbol id such as BTCUSDT`);
  const strategyRaw = typeof values.strategy === 'string' ? values.strategy : undefined;
  const strategy = strategyRaw === 'rules' || strategyRaw === 'self_learning' ? strategyRaw : undefined;
  if (strategyRaw !== undefined && strategy === undefined) problems.push(`--strategy "${strategyRaw}" must be rules or self_learning`);
  const equity = typeof values.equity === 'string' ? Number(values.equity) : undefined;
  if (equity !== undefined && (!Number.isFinite(equity) || equity < 10))
    problems.push(`--equity "${String(values.equity)}" must be a USDT amount of at least 10`);
  let fromMs: number | undefined;
  let toMs: number | undefined;
  try {
    fromMs = typeof values.from === 'string' ? parseDay('from', values.from, false) : undefined;
  } catch (error) {
    problems.push((error as Error).message);
  }
  try {
    toMs = typeof values.to === 'string' ? parseDay('to', values.to, true) : undefined;
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (fromMs !== undefined && toMs !== undefined && toMs < fromMs) problems.push('--to is before --from');
  if (problems.length > 0) throw new UserInputError(`${problems.join('\n')}\n${usage}`);
  return {
    symbols,
    fromMs,
    toMs,
    dataDir: typeof values.data === 'string' ? values.data : undefined,
    strategy,
    equityUsdt: equity,
    json: typeof values.json === 'string' ? values.json : undefined,
    tradesCsv: typeof values.trades === 'string' ? values.trades : undefined,
    reportMd: typeof values.report === 'string' ? values.report : undefined,
  };
}

/** The whole report as terminal tables (src/backtest/report-render.ts). */
export function summaryTable(result: BacktestResult): string {
  return renderReport(result.report, 'text');
}

const csvColumns: (keyof TradeRecord)[] = [
  'id',
  'symbol',
  'side',
  'openedAt',
  'closedAt',
  'entryPrice',
  'exitPrice',
  'size',
  'notionalUsdt',
  'marginUsdt',
  'winProbability',
  'confidence',
  'leverageRaw',
  'leverage',
  'baseSlPct',
  'slPrice',
  'tpPrice',
  'liquidationPrice',
  'tickSize',
  'stepSize',
  'minNotionalUsdt',
  'riskAmountUsdt',
  'plannedRiskUsdt',
  'feesUsdt',
  'slippageUsdt',
  'fundingUsdt',
  'pnlUsdt',
  'exitReason',
  'is100PctLoss',
  'liquidated',
  'exploration',
  'strategyMode',
  'modelVersion',
  'rule',
  'leverageClamps',
];

export function tradesCsv(trades: readonly TradeRecord[]): string {
  const cell = (v: unknown): string => {
    const text =
      typeof v === 'string'
        ? v
        : typeof v === 'number' || typeof v === 'boolean' || v === undefined
          ? String(v)
          : v === null
            ? ''
            : JSON.stringify(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [csvColumns.join(','), ...trades.map((t) => csvColumns.map((c) => cell(t[c])).join(','))].join('\n') + '\n';
}
