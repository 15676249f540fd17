/**
 * Step "build venue": the paper exchange (fresh, or resumed from the snapshot after a shape
 * check) or Binance (rules loaded, isolated margin set, rules refreshed daily).
 */
import type { SymbolHistory } from '../adapters/data/index.js';
import { retryStartup } from '../adapters/binance/startup-retry.js';
import { BinanceExchange } from '../adapters/binance/exchange.js';
import { PaperExchange } from '../adapters/paper/paper-exchange.js';
import { checkPaperState } from '../adapters/paper/state-check.js';
import type { Config } from '../config.js';
import type { LaneScheduler } from '../engine/execution/scheduler.js';
import type { Clock, Exchange, Logger } from '../engine/ports.js';
import type { FundingEvent, SymbolRules } from '../engine/types.js';
import { ConfigError, describeError } from '../errors.js';

const RULES_REFRESH_MS = 24 * 3_600_000;

/** Funding events per symbol from the loaded history (symbols without data use the fallback rate). */
export function fundingFrom(history: ReadonlyMap<string, SymbolHistory> | null): Map<string, readonly FundingEvent[]> {
  const funding = new Map<string, readonly FundingEvent[]>();
  if (history !== null) for (const h of history.values()) if (h.funding !== null) funding.set(h.symbol, h.funding);
  return funding;
}

export interface PaperVenueDeps {
  readonly rules: ReadonlyMap<string, SymbolRules>;
  /** Market time on replayed data, the wall clock on live data. */
  readonly clock: Clock;
  readonly logger: Logger;
  readonly funding: ReadonlyMap<string, readonly FundingEvent[]>;
  /** The snapshot's saved venue (unknown until checked); null or absent for a fresh wallet. */
  readonly saved?: unknown;
  /** Filled/cancelled orders kept; small when the venue is saved with every snapshot. */
  readonly orderHistoryLimit?: number;
}

/** The paper venue with the Config's fees, slippage and funding fallback. */
export function buildPaperVenue(config: Config, deps: PaperVenueDeps): PaperExchange {
  const settings = config.paper;
  const options = {
    rules: deps.rules,
    clock: deps.clock,
    logger: deps.logger,
    takerFeeRate: settings.takerFeeRate,
    makerFeeRate: settings.makerFeeRate,
    slippageRate: settings.slippageRate,
    fundingRateFallback: settings.fundingRateFallback,
    funding: deps.funding,
    ...(deps.orderHistoryLimit !== undefined ? { orderHistoryLimit: deps.orderHistoryLimit } : {}),
  };
  if (deps.saved === null || deps.saved === undefined)
    return new PaperExchange({ ...options, startingBalanceUsdt: settings.startingBalanceUsdt });
  return PaperExchange.fromJSON(checkPaperState(deps.saved), options);
}

export interface LiveVenue {
  readonly exchange: Exchange;
  /** Refreshed in place daily (the Trader reads this same map). */
  readonly rules: Map<string, SymbolRules>;
  /** Stops the daily rules refresh. */
  stop(): void;
}

/** Binance USDT-M: filters and brackets from the exchange, isolated margin on every symbol. */
export async function buildBinanceVenue(
  config: Config,
  deps: { readonly scheduler: LaneScheduler; readonly clock: Clock; readonly logger: Logger },
): Promise<LiveVenue> {
  const log = deps.logger.child('main');
  const binance = new BinanceExchange({
    apiKey: config.exchange.apiKey ?? '',
    secret: config.exchange.apiSecret ?? '',
    testnet: config.exchange.testnet,
    apiBase: config.exchange.apiBase,
    scheduler: deps.scheduler,
    clock: deps.clock,
    logger: deps.logger,
    symbols: config.symbols,
  });
  // Transient failures at start (5xx, timeouts, 429/418, -1021) are retried with back-off.
  const rules = await retryStartup('loading exchange rules', () => binance.loadRules(config.symbols), {
    clock: deps.clock,
    logger: deps.logger,
  });
  const missing = config.symbols.filter((symbol) => !rules.has(symbol));
  if (missing.length > 0)
    throw new ConfigError([
      {
        variable: 'SYMBOLS',
        problem: `${missing.join(', ')} is not a tradable USDT-M perpetual on this exchange`,
        expected: 'symbols listed on Binance USDT-M futures',
      },
    ]);
  for (const symbol of config.symbols) {
    try {
      await binance.setIsolatedMargin(symbol);
    } catch (error) {
      // Binance refuses (-4048) while a position is open in cross margin: manage it as it is.
      log.warn(`could not set isolated margin on ${symbol} (${describeError(error)}); an open position keeps its margin type`);
    }
  }
  // Filters and leverage brackets change from time to time: refresh them daily in place.
  let cancel: (() => void) | null = null;
  let stopped = false;
  const scheduleRefresh = (): void => {
    if (stopped) return;
    cancel = deps.clock.setTimer(RULES_REFRESH_MS, () => {
      binance
        .loadRules(config.symbols)
        .then((fresh) => {
          for (const [symbol, symbolRules] of fresh) rules.set(symbol, symbolRules);
          log.info('exchange filters and leverage brackets refreshed', { symbols: fresh.size });
        })
        .catch((error: unknown) => log.warn(`could not refresh the exchange rules (keeping yesterday's): ${describeError(error)}`))
        .finally(scheduleRefresh);
    });
  };
  scheduleRefresh();
  return {
    exchange: binance,
    rules,
    stop: () => {
      stopped = true;
      cancel?.();
    },
  };
}
