/** Shared setup for tests that drive real ccxt against the fake Binance server. */
import { ManualClock } from '../../../src/adapters/clock.js';
import { BinanceExchange } from '../../../src/adapters/binance/exchange.js';
import { LaneScheduler } from '../../../src/engine/execution/scheduler.js';
import { MemoryLogger } from '../../../src/logger.js';
import type { OrderRequest } from '../../../src/engine/types.js';
import { startFakeBinance, type FakeBinance } from '../../fakes/fake-binance.js';

/** One recorded log line (src/logger.ts MemoryLogger). */
export type LogLine = MemoryLogger['lines'][number];

/** A logger that keeps its lines for assertions and prints nothing. */
export function recordingLogger(lines: LogLine[] = []): MemoryLogger {
  return new MemoryLogger('test', lines);
}

/** ccxt's per-request timeout in these tests: small, so a held request ends quickly. */
export const TEST_TIMEOUT_MS = 500;

/** A real moment (ccxt signs with Date.now; the fake and the engine use this clock). */
export const START_MS = Date.UTC(2025, 5, 2, 12, 0, 10);

export interface Rig {
  readonly fake: FakeBinance;
  readonly clock: ManualClock;
  readonly scheduler: LaneScheduler;
  readonly exchange: BinanceExchange;
  readonly logger: MemoryLogger;
  /** Every URL ccxt fetched, as `METHOD url`. */
  readonly fetched: string[];
  close(): Promise<void>;
}

export async function startRig(options: { clock?: ManualClock } = {}): Promise<Rig> {
  const clock = options.clock ?? new ManualClock(START_MS);
  const fake = await startFakeBinance({ now: () => clock.now() });
  const logger = recordingLogger();
  const scheduler = new LaneScheduler({ clock: clock, logger });
  const fetched: string[] = [];
  const exchange = new BinanceExchange({
    apiKey: 'test-api-key',
    secret: 'test-secret',
    testnet: false,
    apiBase: fake.url,
    scheduler,
    clock,
    logger,
    symbols: ['BTCUSDT', 'ETHUSDT'],
    timeoutMs: TEST_TIMEOUT_MS,
    onRequest: (method, url) => fetched.push(`${method} ${url}`),
  });
  return {
    fake,
    clock,
    scheduler,
    exchange,
    logger,
    fetched,
    async close() {
      scheduler.stop();
      await fake.close();
    },
  };
}

/** A second exchange on the rig's fake, scheduler, clock and logger: a restarted process that remembers nothing. */
export function restartedExchange(rig: Rig): BinanceExchange {
  return new BinanceExchange({
    apiKey: 'test-api-key',
    secret: 'test-secret',
    testnet: false,
    apiBase: rig.fake.url,
    scheduler: rig.scheduler,
    clock: rig.clock,
    logger: rig.logger,
    symbols: ['BTCUSDT'],
    timeoutMs: TEST_TIMEOUT_MS,
  });
}

export function marketBuy(clientOrderId: string, quantity = 0.01): OrderRequest {
  return { symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity, reduceOnly: false, clientOrderId };
}

export function stopSell(clientOrderId: string, stopPrice: number, quantity = 0.01): OrderRequest {
  return { symbol: 'BTCUSDT', side: 'sell', type: 'stop_market', quantity, stopPrice, reduceOnly: true, clientOrderId };
}

export function takeProfitSell(clientOrderId: string, stopPrice: number, quantity = 0.01): OrderRequest {
  return { symbol: 'BTCUSDT', side: 'sell', type: 'take_profit_market', quantity, stopPrice, reduceOnly: true, clientOrderId };
}

/** Requests the fake saw for one route (`POST /fapi/v1/order`). */
export function requestsTo(fake: FakeBinance, route: string): FakeBinance['requests'] {
  const [method, path] = route.split(' ');
  return fake.requests.filter((r) => r.method === method && r.path === path);
}
