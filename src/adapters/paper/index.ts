/** The paper exchange: simulated Binance USDT-M fills for paper trading and backtests. */
export { PaperExchange } from './paper-exchange.js';
export { intrabarPath, slippedPrice, triggeredFillPrice } from './intrabar.js';
export type {
  PaperEvent,
  PaperExchangeDeps,
  PaperExchangeOptions,
  PaperMarketState,
  PaperOrderRecord,
  PaperPositionState,
  PaperState,
  PaperTotals,
} from './types.js';
