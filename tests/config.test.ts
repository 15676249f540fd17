import { describe, expect, it } from 'vitest';
import { loadConfig, redactedConfigLines } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

function problems(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('starts on the embedded default with no variables at all: paper, auto market data, sqlite', () => {
    const config = loadConfig({});
    expect(config.tradingMode).toBe('paper');
    expect(config.marketData).toBe('auto');
    expect(config.strategyMode).toBe('self_learning');
    expect(config.storeUrl).toBe('sqlite://state/state.sqlite');
    expect(config.discord.token).toBeNull();
    expect(config.minWinProbability).toBe(0.55);
    expect(config.minConfidence).toBe(0.5);
    expect(config.minRrRatio).toBe(1);
    expect(config.maxLeverage).toBeNull();
    expect(config.rulesMaxLeverage).toBe(3);
    expect(config.maxOpenPositions).toBe(5);
    expect(config.liquidationBufferRate).toBeCloseTo(0.005, 12);
    expect(config.symbols.length).toBeGreaterThan(0);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ DISCORD_TOKEN: '', MAX_LEVERAGE: '', TRADING_MODE: '' });
    expect(config.discord.token).toBeNull();
    expect(config.maxLeverage).toBeNull();
    expect(config.tradingMode).toBe('paper');
  });

  it('lists every problem at once with the variable, the problem and what is expected', () => {
    const error = problems({ MIN_WIN_PROBABILITY: 'abc', STRATEGY_MODE: 'yolo', MAX_OPEN_POSITIONS: '0', SYMBOLS: 'BTC,ETHUSDT' });
    const variables = error.issues.map((i) => i.variable).sort();
    expect(variables).toEqual(['MAX_OPEN_POSITIONS', 'MIN_WIN_PROBABILITY', 'STRATEGY_MODE', 'SYMBOLS']);
    expect(error.message).toContain('MIN_WIN_PROBABILITY: "abc" is not valid; expected a number from 0 to 1');
    expect(error.message).toContain('STRATEGY_MODE: "yolo" is not valid; expected self_learning or rules');
  });

  it('takes DISCORD_API_BASE with its path, as discord.js rest.api wants it, and refuses other shapes', () => {
    expect(loadConfig({}).discord.apiBase).toBe('https://discord.com/api');
    expect(loadConfig({ DISCORD_API_BASE: 'http://127.0.0.1:8080/api/' }).discord.apiBase).toBe('http://127.0.0.1:8080/api');
    expect(loadConfig({ DISCORD_API_BASE: 'https://proxy.example.com/discord/api' }).discord.apiBase).toBe(
      'https://proxy.example.com/discord/api',
    );
    for (const bad of ['ftp://x/api', 'discord.com/api', 'https://discord.com/api?v=10']) {
      expect(problems({ DISCORD_API_BASE: bad }).issues.map((i) => i.variable)).toEqual(['DISCORD_API_BASE']);
    }
  });

  it('accepts DISCORD_TOKEN without DISCORD_APPLICATION_ID (the id is asked from the API)', () => {
    const config = loadConfig({ DISCORD_TOKEN: 'x'.repeat(40) });
    expect(config.discord.applicationId).toBeNull();
    expect(config.discord.publicControlReplies).toBe(false);
  });

  it('never echoes a secret in an error', () => {
    const error = problems({ DISCORD_TOKEN: 'short', BINANCE_API_KEY: 'k', STORE_URL: 'ftp://user:hunter2@host' });
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('short');
    expect(error.message).toContain('value hidden');
  });

  it('refuses live trading without keys and confirmation, naming each missing variable', () => {
    const error = problems({ TRADING_MODE: 'live' });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['BINANCE_API_KEY', 'BINANCE_API_SECRET', 'CONFIRM_LIVE_TRADING']);
    const confirmOnly = problems({ TRADING_MODE: 'live', BINANCE_API_KEY: 'abcdefghij', BINANCE_API_SECRET: 'abcdefghij' });
    expect(confirmOnly.issues.map((i) => i.variable)).toEqual(['CONFIRM_LIVE_TRADING']);
  });

  it('never uses replay data for live trading', () => {
    const error = problems({
      TRADING_MODE: 'live',
      MARKET_DATA: 'replay',
      BINANCE_API_KEY: 'abcdefghij',
      BINANCE_API_SECRET: 'abcdefghij',
      CONFIRM_LIVE_TRADING: 'yes',
    });
    expect(error.issues.map((i) => i.variable)).toEqual(['MARKET_DATA']);
    const auto = loadConfig({
      TRADING_MODE: 'live',
      BINANCE_API_KEY: 'abcdefghij',
      BINANCE_API_SECRET: 'abcdefghij',
      CONFIRM_LIVE_TRADING: 'yes',
    });
    expect(auto.marketData).toBe('live');
  });

  it('reads percentages in percent and keeps fractions inside', () => {
    const config = loadConfig({ LIQUIDATION_BUFFER_PCT: '1', TAKER_FEE_PCT: '0.04', SLIPPAGE_PCT: '0.1' });
    expect(config.liquidationBufferRate).toBeCloseTo(0.01, 12);
    expect(config.paper.takerFeeRate).toBeCloseTo(0.0004, 12);
    expect(config.paper.slippageRate).toBeCloseTo(0.001, 12);
  });

  it('is frozen', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.paper)).toBe(true);
  });

  it('prints the effective configuration with secrets redacted', () => {
    const lines = redactedConfigLines({ DISCORD_TOKEN: 'secret-token-value-123456', STORE_URL: 'postgres://u:pw123@db:5432/x' });
    const text = lines.join('\n');
    expect(text).not.toContain('secret-token-value');
    expect(text).not.toContain('pw123');
    expect(text).toContain('DISCORD_TOKEN=*** (set)');
    expect(text).toContain('TRADING_MODE=paper (default)');
  });
});
