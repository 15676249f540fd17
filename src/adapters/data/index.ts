/** Market-data files of `data/`: layout, streaming loaders, exchange rules. */
export { availableSymbols, bundledDataDir, dataLayout } from './layout.js';
export type { DataLayout, SymbolFiles } from './layout.js';
export {
  CANDLE_HEADER,
  FUNDING_HEADER,
  MARK_HEADER,
  MARK_STEP_MS,
  readCandles,
  readFunding,
  readMarkCandles,
} from './series.js';
export type { CandleFile, CandleGap, CandleReadOptions, MarkReadOptions, TimeRange } from './series.js';
export { loadExchangeRules } from './exchange-rules.js';
export { loadMarketHistory } from './history.js';
export type { SymbolHistory } from './history.js';
export { scanNumericCsv } from './csv-scan.js';
export type { RowHandler } from './csv-scan.js';
