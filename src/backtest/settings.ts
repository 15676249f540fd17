/**
 * The backtest's effective settings: the same environment and `.env` as `npm start`, with
 * the command line's flags on top. A backtest always runs the paper venue on replayed data;
 * `--strategy` defaults to `rules` (a backtest names the strategy it tests) whatever
 * STRATEGY_MODE says.
 */
import { bundledDataDir } from '../adapters/data/index.js';
import { defaults, loadConfig, type Config, type VariableName } from '../config.js';
import type { StrategyMode } from '../engine/types.js';

/** The variables that change a backtest, in the order the report prints them. */
export const BACKTEST_VARIABLES = [
  'SYMBOLS',
  'STRATEGY_MODE',
  'POSITION_CONTROL_MODE',
  'PAPER_STARTING_BALANCE_USDT',
  'TAKER_FEE_PCT',
  'MAKER_FEE_PCT',
  'SLIPPAGE_PCT',
  'FUNDING_RATE_FALLBACK_PCT',
  'MAX_LEVERAGE',
  'RULES_MAX_LEVERAGE',
  'MAX_OPEN_POSITIONS',
  'LIQUIDATION_BUFFER_PCT',
  'GRADE_S_SIZE_MULTIPLIER',
  'MIN_WIN_PROBABILITY',
  'MIN_CONFIDENCE',
  'MIN_RR_RATIO',
  'EXPLORATION_RATE',
  'TIME_STOP_HOURS',
  'BALANCE_REFRESH_MS',
  'DATA_DIR',
] as const satisfies readonly VariableName[];

export type BacktestVariable = (typeof BACKTEST_VARIABLES)[number];

export interface BacktestSetting {
  /** As given (no float round trip); null when unset without a default (e.g. MAX_LEVERAGE: no cap). */
  readonly value: string | null;
  readonly source: 'flag' | 'environment' | 'default';
}

export type BacktestSettings = Readonly<Record<BacktestVariable, BacktestSetting>>;

/** What the command line sets (undefined: not given). */
export interface BacktestFlags {
  readonly symbols?: readonly string[] | undefined;
  readonly strategy?: StrategyMode | undefined;
  readonly equityUsdt?: number | undefined;
  readonly dataDir?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Environment + flags → the validated Config the engine is built from, and where each setting came from. */
export function backtestConfig(env: Env, flags: BacktestFlags = {}): { config: Config; settings: BacktestSettings } {
  const fromFlags: Partial<Record<VariableName, string>> = {
    ...(flags.strategy !== undefined ? { STRATEGY_MODE: flags.strategy } : {}),
    ...(flags.symbols !== undefined ? { SYMBOLS: flags.symbols.join(',') } : {}),
    ...(flags.equityUsdt !== undefined ? { PAPER_STARTING_BALANCE_USDT: String(flags.equityUsdt) } : {}),
    ...(flags.dataDir !== undefined ? { DATA_DIR: flags.dataDir } : {}),
  };
  // A backtest names the strategy it tests: `rules` unless --strategy says otherwise, whatever STRATEGY_MODE is.
  const merged: Record<string, string | undefined> = {
    ...env,
    STRATEGY_MODE: 'rules',
    ...fromFlags,
    TRADING_MODE: 'paper',
    MARKET_DATA: 'replay',
  };
  const config = loadConfig(merged);
  const given = (name: VariableName): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const settings = {} as Record<BacktestVariable, BacktestSetting>;
  for (const name of BACKTEST_VARIABLES) {
    const flag = fromFlags[name];
    if (flag !== undefined) settings[name] = { value: flag, source: 'flag' };
    else if (name === 'STRATEGY_MODE') settings[name] = { value: 'rules', source: 'default' };
    else if (given(name) !== undefined) settings[name] = { value: given(name) ?? null, source: 'environment' };
    else settings[name] = { value: name === 'DATA_DIR' ? bundledDataDir() : (defaults[name] ?? null), source: 'default' };
  }
  return { config, settings };
}
