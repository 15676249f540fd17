/**
 * Environment → validated, frozen Config (STYLE.md §7). Every variable is checked,
 * every problem is reported in one go (variable, what is wrong, what is expected),
 * and secrets are never echoed. An empty variable counts as unset.
 */
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';
import type { MarketDataSource, StrategyMode, TradingMode } from './engine/types.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
/** `auto`: lines for people on a terminal, JSON lines otherwise (Railway). */
export type LogFormat = 'auto' | 'pretty' | 'json';

export interface Config {
  readonly symbols: readonly string[];
  readonly tradingMode: TradingMode;
  readonly marketData: MarketDataSource;
  readonly strategyMode: StrategyMode;
  readonly enableSelfLearning: boolean;
  readonly positionControlMode: StrategyMode;
  readonly minWinProbability: number;
  readonly minConfidence: number;
  readonly minRrRatio: number;
  readonly storeUrl: string;
  readonly discord: {
    readonly token: string | null;
    readonly applicationId: string | null;
    readonly guildId: string | null;
    /** REST API base as discord.js's `rest.api` takes it, path included (default https://discord.com/api). */
    readonly apiBase: string;
    /** Replies to control commands are visible to the channel (default: only to the operator). */
    readonly publicControlReplies: boolean;
    readonly operatorRoleIds: readonly string[];
    readonly operatorUserIds: readonly string[];
    readonly viewerRoleIds: readonly string[];
  };
  readonly exchange: {
    readonly apiKey: string | null;
    readonly apiSecret: string | null;
    readonly testnet: boolean;
    readonly apiBase: string | null;
  };
  readonly confirmLiveTrading: boolean;
  readonly maxLeverage: number | null;
  readonly rulesMaxLeverage: number;
  readonly maxOpenPositions: number;
  /** Fraction of the entry price (env value is in percent: 0.5 → 0.005). */
  readonly liquidationBufferRate: number;
  readonly gradeSSizeMultiplier: number;
  readonly explorationRate: number;
  readonly memoryLimitMb: number;
  /** Self-learning (issue 14): the expected-value gate's threshold in R, and when to retrain. */
  readonly minExpectedR: number;
  /** Grade C: self-learning resumes after a full daily report whose shadow score reaches this (0–100). */
  readonly selfLearningResumeScore: number;
  readonly retrainEveryLabels: number;
  readonly retrainIntervalHours: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly dataDir: string | null;
  /** Replay speed multiplier; 0 means as fast as possible. */
  readonly replaySpeed: number;
  readonly paper: {
    readonly startingBalanceUsdt: number;
    /** Fractions (env values are percent). */
    readonly takerFeeRate: number;
    readonly makerFeeRate: number;
    readonly slippageRate: number;
    readonly fundingRateFallback: number;
  };
  readonly positionCheckIntervalMs: number;
  readonly balanceRefreshMs: number;
  readonly timeStopHours: number;
  readonly unknownPositions: 'adopt' | 'report';
  /** Open orders the bot did not place: only reported, or cancelled. */
  readonly foreignOrders: 'report' | 'cancel';
  readonly closeOnShutdown: boolean;
  readonly leaseTtlMs: number;
  /** The model score and the daily report card (issue 13). */
  readonly reports: {
    readonly scoreWindowDays: number;
    readonly scoreMinTrades: number;
    /** Where `daily/model_report_YYYY-MM-DD.{json,md}` and `latest_report.json` go. */
    readonly dir: string;
    /** A QuickChart server to render charts with; null renders locally (offline). */
    readonly quickchartUrl: string | null;
  };
}

type Env = Readonly<Record<string, string | undefined>>;

interface VariableSpec<T> {
  readonly schema: z.ZodType<T>;
  readonly expected: string;
  readonly secret?: boolean;
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const num = (min: number, max: number) => z.coerce.number().refine((n) => Number.isFinite(n) && n >= min && n <= max);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const idList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  )
  .refine((ids) => ids.every((id) => /^\d{15,22}$/.test(id)));
const origin = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && (u.pathname === '/' || u.pathname === '');
    } catch {
      return false;
    }
  })
  .transform((s) => s.replace(/\/+$/, ''));

/** An http(s) URL with an optional path (no query or fragment), without a trailing slash. */
const apiBase = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return (
        (u.protocol === 'http:' || u.protocol === 'https:') && u.search === '' && u.hash === '' && u.username === '' && u.password === ''
      );
    } catch {
      return false;
    }
  })
  .transform((s) => s.replace(/\/+$/, ''));

/** Every variable the bot reads, with its default (as the env string) and what it expects. */
const variables = {
  SYMBOLS: {
    schema: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim().toUpperCase())
          .filter((x) => x.length > 0),
      )
      .refine((list) => list.length > 0 && list.every((s) => /^[A-Z0-9]{2,20}USDT$/.test(s)) && new Set(list).size === list.length),
    expected: 'comma-separated Binance USDT-M symbol ids, e.g. BTCUSDT,ETHUSDT (no duplicates)',
  },
  TRADING_MODE: { schema: z.enum(['paper', 'live']), expected: 'paper or live' },
  MARKET_DATA: { schema: z.enum(['live', 'replay', 'auto']), expected: 'live, replay or auto' },
  STRATEGY_MODE: { schema: z.enum(['self_learning', 'rules']), expected: 'self_learning or rules' },
  ENABLE_SELF_LEARNING: { schema: bool, expected: 'true or false' },
  POSITION_CONTROL_MODE: { schema: z.enum(['self_learning', 'rules']), expected: 'self_learning or rules' },
  MIN_WIN_PROBABILITY: { schema: num(0, 1), expected: 'a number from 0 to 1, e.g. 0.55' },
  MIN_CONFIDENCE: { schema: num(0, 1), expected: 'a number from 0 to 1, e.g. 0.50' },
  MIN_RR_RATIO: { schema: num(0, 100), expected: 'a number from 0 to 100, e.g. 1.0' },
  STORE_URL: {
    schema: z.string().refine((s) => /^(sqlite|postgres|postgresql|redis|rediss):\/\/.+/.test(s)),
    expected: 'sqlite://path, postgres://… or redis://…',
    secret: true,
  },
  DISCORD_TOKEN: { schema: z.string().min(20), expected: 'a Discord bot token', secret: true },
  DISCORD_APPLICATION_ID: { schema: z.string().regex(/^\d{15,22}$/), expected: 'a Discord application id (digits)' },
  DISCORD_GUILD_ID: { schema: z.string().regex(/^\d{15,22}$/), expected: 'a Discord server id (digits)' },
  DISCORD_API_BASE: {
    schema: apiBase,
    expected: 'the Discord REST API base with its path, e.g. https://discord.com/api or http://127.0.0.1:8080/api',
  },
  DISCORD_PUBLIC_CONTROL_REPLIES: {
    schema: bool,
    expected: 'true (control replies visible to the channel) or false (only to the operator)',
  },
  OPERATOR_ROLE_IDS: { schema: idList, expected: 'comma-separated Discord role ids' },
  OPERATOR_USER_IDS: { schema: idList, expected: 'comma-separated Discord user ids' },
  VIEWER_ROLE_IDS: { schema: idList, expected: 'comma-separated Discord role ids' },
  BINANCE_API_KEY: { schema: z.string().min(8), expected: 'your Binance API key', secret: true },
  BINANCE_API_SECRET: { schema: z.string().min(8), expected: 'your Binance API secret', secret: true },
  EXCHANGE_TESTNET: { schema: bool, expected: 'true or false' },
  EXCHANGE_API_BASE: { schema: origin, expected: 'an origin such as http://127.0.0.1:9000 (no path)' },
  CONFIRM_LIVE_TRADING: { schema: z.enum(['yes', 'no']), expected: 'yes (required for live trading) or no' },
  MAX_LEVERAGE: { schema: num(1, 125), expected: 'a number from 1 to 125 (unset: no operator cap)' },
  RULES_MAX_LEVERAGE: { schema: num(1, 125), expected: 'a number from 1 to 125, e.g. 3' },
  MAX_OPEN_POSITIONS: { schema: int(1, 50), expected: 'a whole number from 1 to 50' },
  LIQUIDATION_BUFFER_PCT: { schema: num(0, 20), expected: 'a percentage of the entry price from 0 to 20, e.g. 0.5' },
  GRADE_S_SIZE_MULTIPLIER: { schema: num(1, 3), expected: 'a number from 1 to 3, e.g. 1.2' },
  EXPLORATION_RATE: { schema: num(0, 0.5), expected: 'a fraction from 0 to 0.5, e.g. 0.05' },
  MEMORY_LIMIT_MB: { schema: int(64, 65536), expected: 'a whole number of MB from 64, e.g. 512' },
  MIN_EXPECTED_R: { schema: num(-1, 5), expected: 'an expected R after costs from -1 to 5, e.g. 0' },
  SELF_LEARNING_RESUME_SCORE: { schema: num(0, 100), expected: 'a shadow score from 0 to 100, e.g. 80' },
  RETRAIN_EVERY_LABELS: { schema: int(50, 100_000), expected: 'a whole number of new labels from 50, e.g. 500' },
  RETRAIN_INTERVAL_HOURS: { schema: num(1, 24 * 90), expected: 'hours from 1 to 2160, e.g. 168' },
  LOG_LEVEL: { schema: z.enum(['error', 'warn', 'info', 'debug']), expected: 'error, warn, info or debug' },
  LOG_FORMAT: { schema: z.enum(['auto', 'pretty', 'json']), expected: 'auto (pretty on a terminal, JSON otherwise), pretty or json' },
  DATA_DIR: { schema: z.string().min(1), expected: 'a directory in the data/ layout' },
  REPLAY_SPEED: { schema: num(0, 1e9), expected: 'a speed multiplier ≥ 0 (0 = as fast as possible), e.g. 600' },
  PAPER_STARTING_BALANCE_USDT: { schema: num(10, 1e9), expected: 'a USDT amount ≥ 10, e.g. 1000' },
  TAKER_FEE_PCT: { schema: num(0, 1), expected: 'a percentage from 0 to 1, e.g. 0.05' },
  MAKER_FEE_PCT: { schema: num(-1, 1), expected: 'a percentage from -1 to 1, e.g. 0.02' },
  SLIPPAGE_PCT: { schema: num(0, 5), expected: 'a percentage from 0 to 5, e.g. 0.05' },
  FUNDING_RATE_FALLBACK_PCT: { schema: num(-1, 1), expected: 'a percentage per 8 h from -1 to 1, e.g. 0.01' },
  POSITION_CHECK_INTERVAL_MS: { schema: int(250, 60_000), expected: 'milliseconds from 250 to 60000, e.g. 2000' },
  BALANCE_REFRESH_MS: { schema: int(1000, 600_000), expected: 'milliseconds from 1000, e.g. 10000' },
  TIME_STOP_HOURS: { schema: num(0, 24 * 30), expected: 'hours from 0 (off) to 720, e.g. 24' },
  UNKNOWN_POSITIONS: { schema: z.enum(['adopt', 'report']), expected: 'adopt or report' },
  FOREIGN_ORDERS: { schema: z.enum(['report', 'cancel']), expected: 'report or cancel' },
  CLOSE_ON_SHUTDOWN: { schema: bool, expected: 'true or false' },
  LEASE_TTL_MS: { schema: int(3000, 120_000), expected: 'milliseconds from 3000 to 120000, e.g. 15000' },
  SCORE_WINDOW_DAYS: { schema: int(1, 90), expected: 'a whole number of days from 1 to 90, e.g. 7' },
  SCORE_MIN_TRADES: { schema: int(1, 10_000), expected: 'a whole number of trades ≥ 1, e.g. 20' },
  REPORTS_DIR: { schema: z.string().min(1), expected: 'a directory for the daily report files, e.g. reports' },
  QUICKCHART_URL: { schema: origin, expected: 'a QuickChart origin such as https://quickchart.io (unset: render charts locally)' },
} as const satisfies Record<string, VariableSpec<unknown>>;

type Variables = typeof variables;
export type VariableName = keyof Variables;
type Parsed = { [K in VariableName]: z.output<Variables[K]['schema']> | undefined };

/** Defaults as env strings, so `--print-config` shows what would be used. */
export const defaults: Partial<Record<VariableName, string>> = {
  SYMBOLS: 'BTCUSDT,ETHUSDT,SOLUSDT',
  TRADING_MODE: 'paper',
  MARKET_DATA: 'auto',
  STRATEGY_MODE: 'self_learning',
  ENABLE_SELF_LEARNING: 'true',
  POSITION_CONTROL_MODE: 'self_learning',
  MIN_WIN_PROBABILITY: '0.55',
  MIN_CONFIDENCE: '0.50',
  MIN_RR_RATIO: '1.0',
  STORE_URL: 'sqlite://state/state.sqlite',
  DISCORD_API_BASE: 'https://discord.com/api',
  DISCORD_PUBLIC_CONTROL_REPLIES: 'false',
  EXCHANGE_TESTNET: 'false',
  CONFIRM_LIVE_TRADING: 'no',
  RULES_MAX_LEVERAGE: '3',
  MAX_OPEN_POSITIONS: '5',
  LIQUIDATION_BUFFER_PCT: '0.5',
  GRADE_S_SIZE_MULTIPLIER: '1.2',
  EXPLORATION_RATE: '0.05',
  MEMORY_LIMIT_MB: '512',
  MIN_EXPECTED_R: '0',
  SELF_LEARNING_RESUME_SCORE: '80',
  RETRAIN_EVERY_LABELS: '500',
  RETRAIN_INTERVAL_HOURS: '168',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'auto',
  REPLAY_SPEED: '600',
  PAPER_STARTING_BALANCE_USDT: '1000',
  TAKER_FEE_PCT: '0.05',
  MAKER_FEE_PCT: '0.02',
  SLIPPAGE_PCT: '0.05',
  FUNDING_RATE_FALLBACK_PCT: '0.01',
  POSITION_CHECK_INTERVAL_MS: '2000',
  BALANCE_REFRESH_MS: '10000',
  TIME_STOP_HOURS: '24',
  UNKNOWN_POSITIONS: 'adopt',
  FOREIGN_ORDERS: 'report',
  CLOSE_ON_SHUTDOWN: 'false',
  LEASE_TTL_MS: '15000',
  SCORE_WINDOW_DAYS: '7',
  SCORE_MIN_TRADES: '20',
  REPORTS_DIR: 'reports',
};

export const variableNames = Object.keys(variables) as VariableName[];

export function isSecret(name: VariableName): boolean {
  const spec: VariableSpec<unknown> = variables[name];
  return spec.secret === true;
}

export function describeVariable(name: VariableName): string {
  return variables[name].expected;
}

function quote(value: string): string {
  return value.length > 60 ? `"${value.slice(0, 57)}..."` : JSON.stringify(value);
}

/**
 * Validates `env` and returns the frozen Config, or throws ConfigError listing every problem.
 * Empty strings count as unset.
 */
export function loadConfig(env: Env): Config {
  const issues: ConfigIssue[] = [];
  const parsed = {} as Record<VariableName, unknown>;
  const present = new Set<VariableName>();
  for (const name of variableNames) {
    const raw = env[name]?.trim();
    const value = raw === undefined || raw === '' ? defaults[name] : raw;
    if (raw !== undefined && raw !== '') present.add(name);
    if (value === undefined) {
      parsed[name] = undefined;
      continue;
    }
    const spec: VariableSpec<unknown> = variables[name];
    const result = spec.schema.safeParse(value);
    if (result.success) {
      parsed[name] = result.data;
    } else {
      issues.push({
        variable: name,
        problem: spec.secret === true ? 'the value is not valid (value hidden)' : `${quote(value)} is not valid`,
        expected: spec.expected,
      });
    }
  }
  const p = parsed as Parsed;

  // Cross-variable rules.
  if (p.TRADING_MODE === 'live') {
    if (!present.has('BINANCE_API_KEY') && !issues.some((i) => i.variable === 'BINANCE_API_KEY'))
      issues.push({ variable: 'BINANCE_API_KEY', problem: 'missing (live trading needs it)', expected: 'your Binance API key' });
    if (!present.has('BINANCE_API_SECRET') && !issues.some((i) => i.variable === 'BINANCE_API_SECRET'))
      issues.push({ variable: 'BINANCE_API_SECRET', problem: 'missing (live trading needs it)', expected: 'your Binance API secret' });
    if (p.CONFIRM_LIVE_TRADING !== 'yes' && !issues.some((i) => i.variable === 'CONFIRM_LIVE_TRADING'))
      issues.push({
        variable: 'CONFIRM_LIVE_TRADING',
        problem: 'live trading sends real orders and must be confirmed',
        expected: 'yes',
      });
    if (p.MARKET_DATA === 'replay')
      issues.push({
        variable: 'MARKET_DATA',
        problem: '"replay" cannot drive live trading',
        expected: 'live or auto (live trading always uses live market data)',
      });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  // Variables with a default are always set here; the table `defaults` is the one place they live.
  const d = <K extends VariableName>(name: K): NonNullable<Parsed[K]> => {
    const value = p[name];
    if (value === undefined || value === null) throw new Error(`internal: ${name} has no default`);
    return value;
  };
  const config: Config = {
    symbols: d('SYMBOLS'),
    tradingMode: d('TRADING_MODE'),
    // Live trading never uses replay data: auto means live there.
    marketData: p.TRADING_MODE === 'live' ? 'live' : d('MARKET_DATA'),
    strategyMode: d('STRATEGY_MODE'),
    enableSelfLearning: d('ENABLE_SELF_LEARNING'),
    positionControlMode: d('POSITION_CONTROL_MODE'),
    minWinProbability: d('MIN_WIN_PROBABILITY'),
    minConfidence: d('MIN_CONFIDENCE'),
    minRrRatio: d('MIN_RR_RATIO'),
    storeUrl: d('STORE_URL'),
    discord: {
      token: p.DISCORD_TOKEN ?? null,
      applicationId: p.DISCORD_APPLICATION_ID ?? null,
      guildId: p.DISCORD_GUILD_ID ?? null,
      apiBase: d('DISCORD_API_BASE'),
      publicControlReplies: d('DISCORD_PUBLIC_CONTROL_REPLIES'),
      operatorRoleIds: p.OPERATOR_ROLE_IDS ?? [],
      operatorUserIds: p.OPERATOR_USER_IDS ?? [],
      viewerRoleIds: p.VIEWER_ROLE_IDS ?? [],
    },
    exchange: {
      apiKey: p.BINANCE_API_KEY ?? null,
      apiSecret: p.BINANCE_API_SECRET ?? null,
      testnet: d('EXCHANGE_TESTNET'),
      apiBase: p.EXCHANGE_API_BASE ?? null,
    },
    confirmLiveTrading: p.CONFIRM_LIVE_TRADING === 'yes',
    maxLeverage: p.MAX_LEVERAGE ?? null,
    rulesMaxLeverage: d('RULES_MAX_LEVERAGE'),
    maxOpenPositions: d('MAX_OPEN_POSITIONS'),
    liquidationBufferRate: d('LIQUIDATION_BUFFER_PCT') / 100,
    gradeSSizeMultiplier: d('GRADE_S_SIZE_MULTIPLIER'),
    explorationRate: d('EXPLORATION_RATE'),
    memoryLimitMb: d('MEMORY_LIMIT_MB'),
    minExpectedR: d('MIN_EXPECTED_R'),
    selfLearningResumeScore: d('SELF_LEARNING_RESUME_SCORE'),
    retrainEveryLabels: d('RETRAIN_EVERY_LABELS'),
    retrainIntervalHours: d('RETRAIN_INTERVAL_HOURS'),
    logLevel: d('LOG_LEVEL'),
    logFormat: d('LOG_FORMAT'),
    dataDir: p.DATA_DIR ?? null,
    replaySpeed: d('REPLAY_SPEED'),
    paper: {
      startingBalanceUsdt: d('PAPER_STARTING_BALANCE_USDT'),
      takerFeeRate: d('TAKER_FEE_PCT') / 100,
      makerFeeRate: d('MAKER_FEE_PCT') / 100,
      slippageRate: d('SLIPPAGE_PCT') / 100,
      fundingRateFallback: d('FUNDING_RATE_FALLBACK_PCT') / 100,
    },
    positionCheckIntervalMs: d('POSITION_CHECK_INTERVAL_MS'),
    balanceRefreshMs: d('BALANCE_REFRESH_MS'),
    timeStopHours: d('TIME_STOP_HOURS'),
    unknownPositions: d('UNKNOWN_POSITIONS'),
    foreignOrders: d('FOREIGN_ORDERS'),
    closeOnShutdown: d('CLOSE_ON_SHUTDOWN'),
    leaseTtlMs: d('LEASE_TTL_MS'),
    reports: {
      scoreWindowDays: d('SCORE_WINDOW_DAYS'),
      scoreMinTrades: d('SCORE_MIN_TRADES'),
      dir: d('REPORTS_DIR'),
      quickchartUrl: p.QUICKCHART_URL ?? null,
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The effective configuration as `NAME=value` lines, secrets redacted (set/unset only). */
export function redactedConfigLines(env: Env): string[] {
  return variableNames.map((name) => {
    const raw = env[name]?.trim();
    const set = raw !== undefined && raw !== '';
    const value = set ? raw : defaults[name];
    if (value === undefined) return `${name}= (unset)`;
    if (isSecret(name)) return `${name}=${set ? redactSecret(name, value) : value + ' (default)'}`;
    return `${name}=${value}${set ? '' : ' (default)'}`;
  });
}

function redactSecret(name: VariableName, value: string): string {
  if (name === 'STORE_URL') {
    try {
      const url = new URL(value);
      if (url.password !== '') url.password = '***';
      return url.toString();
    } catch {
      return '*** (set)';
    }
  }
  return '*** (set)';
}

/** Redacts a store URL for logs (no password). */
export function redactUrl(value: string): string {
  return redactSecret('STORE_URL', value);
}
