/**
 * The one place that creates ccxt's `binanceusdm` and sends requests through it.
 *
 * - ccxt is imported lazily (`await import('ccxt')`): it costs ~95 MB RSS, and paper
 *   mode must never pay that.
 * - ccxt's own throttle is off (`enableRateLimit: false`) and it never retries: every
 *   request is budgeted by our RequestScheduler instead (STYLE.md: hummingbot).
 * - Only USDⓈ-M futures URLs are kept (fapi*, fapiData); every other API family is
 *   removed, so an accidental spot/sapi call fails locally instead of leaving the box.
 *   With EXCHANGE_API_BASE the same Binance paths are served under that origin.
 * - Each response's headers reach the scheduler (weight / order counts), and a 429/418
 *   blocks it with Retry-After, per request (AsyncLocalStorage), not via the shared
 *   `last_response_headers`, which concurrent requests overwrite.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { binanceusdm as BinanceUsdm } from 'ccxt';

import { FatalExchangeError } from '../../errors.js';
import type { Logger, Priority } from '../../engine/ports.js';
import { costOf } from '../../engine/execution/weights.js';
import type { RequestScheduler, RequestSpec } from '../../engine/execution/types.js';
import { DEFAULT_RETRY_AFTER_MS, mapBinanceError, redactError } from './errors.js';

export type BinanceUsdmClient = BinanceUsdm;

export interface BinanceClientOptions {
  readonly apiKey: string | null;
  readonly secret: string | null;
  /** Binance demo trading (`enableDemoTrading`; ccxt's setSandboxMode throws for futures). */
  readonly testnet: boolean;
  /** EXCHANGE_API_BASE: an origin `http://host:port` serving Binance's own paths; null = Binance. */
  readonly apiBase: string | null;
  readonly scheduler: RequestScheduler;
  readonly logger: Logger;
  /** Per-request timeout of ccxt, ms. */
  readonly timeoutMs?: number;
  /** Called with every URL just before it is fetched (tests assert where requests go). */
  readonly onRequest?: (method: string, url: string) => void;
}

/** One request as the adapter describes it. */
export interface BinanceCall {
  readonly priority: Priority;
  /** `METHOD /path`, as in src/engine/execution/weights.ts. */
  readonly endpoint: string;
  /** Request parameters that change the weight (symbol, limit). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** True when the call creates an order (unknown outcome → OrderUncertainError). */
  readonly isOrder?: boolean;
  readonly clientOrderId?: string;
}

/** What one request saw of its own response. */
interface CallTrace {
  status: number | null;
  retryAfterMs: number | undefined;
}

/** Path families under the API origin, by ccxt `urls.api` key. */
const FUTURES_PATHS: Readonly<Record<string, string>> = {
  fapiPublic: '/fapi/v1',
  fapiPublicV2: '/fapi/v2',
  fapiPublicV3: '/fapi/v3',
  fapiPrivate: '/fapi/v1',
  fapiPrivateV2: '/fapi/v2',
  fapiPrivateV3: '/fapi/v3',
  fapiData: '/futures/data',
};

const DEFAULT_TIMEOUT_MS = 10_000;

/** `http://host:port` with no path; anything else is a configuration mistake. */
export function normaliseApiBase(apiBase: string): string {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new FatalExchangeError(`EXCHANGE_API_BASE "${apiBase}" is not a URL; expected an origin like http://127.0.0.1:8080`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' && url.pathname !== '')) {
    throw new FatalExchangeError(
      `EXCHANGE_API_BASE "${apiBase}" must be an origin (http(s)://host:port) without a path; the bot adds /fapi/v1, /fapi/v2, /fapi/v3, /futures/data`,
    );
  }
  return url.origin;
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && (typeof value === 'string' || typeof value === 'number')) return String(value);
  }
  return undefined;
}

/** Binance's budget headers under both the canonical upper-case and lower-case names. */
export function budgetHeaders(headers: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of ['X-MBX-USED-WEIGHT-1M', 'X-MBX-ORDER-COUNT-10S', 'X-MBX-ORDER-COUNT-1M', 'Retry-After']) {
    const value = headerValue(headers, name);
    if (value !== undefined) {
      out[name] = value;
      out[name.toLowerCase()] = value;
    }
  }
  return out;
}

/** Retry-After is in seconds at Binance; an HTTP date is accepted too. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

export class BinanceClient {
  private readonly traces = new AsyncLocalStorage<CallTrace>();
  private constructor(
    readonly ex: BinanceUsdmClient,
    private readonly options: BinanceClientOptions,
  ) {}

  /** Loads ccxt (first call only: the module is cached) and configures `binanceusdm`. */
  static async create(options: BinanceClientOptions): Promise<BinanceClient> {
    const ccxt = await import('ccxt');
    const credentials = options.apiKey !== null && options.secret !== null ? { apiKey: options.apiKey, secret: options.secret } : {};
    const ex = new ccxt.binanceusdm({
      ...credentials,
      enableRateLimit: false,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      options: {
        fetchMarkets: { types: ['linear'] },
        fetchCurrencies: false,
        defaultType: 'swap',
        recvWindow: 10_000,
        maxRetriesOnFailure: 0,
        adjustForTimeDifference: false,
        warnOnFetchOpenOrdersWithoutSymbol: false,
      },
    });
    ex.has['fetchCurrencies'] = false;
    if (options.testnet) ex.enableDemoTrading(true);
    const origin = options.apiBase === null ? null : normaliseApiBase(options.apiBase);
    const current = ex.urls['api'] as Record<string, string>;
    const api: Record<string, string> = {};
    for (const [key, path] of Object.entries(FUTURES_PATHS)) {
      const existing = current[key];
      if (origin !== null) api[key] = origin + path;
      else if (existing !== undefined) api[key] = existing;
    }
    ex.urls = { ...ex.urls, api };
    const client = new BinanceClient(ex, options);
    client.installHooks(Object.values(api).map((url) => new URL(url).origin));
    return client;
  }

  private installHooks(allowedOrigins: readonly string[]): void {
    const ex = this.ex;
    const { scheduler, logger, onRequest } = this.options;
    const origins = new Set(allowedOrigins);
    const fetch = ex.fetch.bind(ex);
    ex.fetch = async (url: string, method = 'GET', headers?: unknown, body?: unknown): Promise<unknown> => {
      let origin = '';
      try {
        origin = new URL(url).origin;
      } catch {
        // handled below: not allowed
      }
      onRequest?.(method, url);
      if (!origins.has(origin)) {
        throw new FatalExchangeError(`Refusing a request outside the futures API (${method} ${url.split('?')[0] ?? url})`);
      }
      return fetch(url, method, headers, body);
    };
    const onRestResponse = ex.onRestResponse.bind(ex);
    ex.onRestResponse = (
      statusCode: number,
      statusText: string,
      url: string,
      method: string,
      responseHeaders: Record<string, unknown>,
      responseBody: string,
      requestHeaders: unknown,
      requestBody: unknown,
    ): unknown => {
      const headers = budgetHeaders(responseHeaders ?? {});
      const trace = this.traces.getStore();
      if (trace !== undefined) trace.status = statusCode;
      scheduler.observeHeaders(headers);
      if (statusCode === 429 || statusCode === 418) {
        const retryAfterMs = parseRetryAfterMs(headers['Retry-After'], Date.now());
        if (trace !== undefined) trace.retryAfterMs = retryAfterMs;
        logger.warn('binance rate limit response', { status: statusCode, retryAfterMs, url: url.split('?')[0] });
        scheduler.observeRateLimit(statusCode, retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
      }
      return onRestResponse(statusCode, statusText, url, method, responseHeaders, responseBody, requestHeaders, requestBody);
    };
  }

  /**
   * The RequestSpec of one request (lane, weight and order count from
   * src/engine/execution/weights.ts). Its `run` maps any failure with mapBinanceError,
   * using the HTTP status and Retry-After this very request saw.
   */
  spec<T>(call: BinanceCall, run: (ex: BinanceUsdmClient) => Promise<T>, extraWeight = 0): RequestSpec<T> {
    const cost = costOf(call.endpoint, call.params);
    return {
      priority: call.priority,
      endpoint: call.endpoint,
      weight: cost.weight + extraWeight,
      orders: cost.orders,
      run: async () => {
        const trace: CallTrace = { status: null, retryAfterMs: undefined };
        try {
          return await this.traces.run(trace, () => run(this.ex));
        } catch (error) {
          // ccxt quotes the signed URL (signature=…) in its messages: redact before anything reads it.
          const secrets = this.secrets();
          const mapped = mapBinanceError(redactError(error, secrets), {
            isOrder: call.isOrder ?? false,
            ...(call.clientOrderId === undefined ? {} : { clientOrderId: call.clientOrderId }),
            ...(trace.status === null ? {} : { httpStatus: trace.status }),
            ...(trace.retryAfterMs === undefined ? {} : { retryAfterMs: trace.retryAfterMs }),
          });
          throw redactError(mapped, secrets);
        }
      },
    };
  }

  /** The literal credentials, redacted wherever they would appear in a message. */
  private secrets(): string[] {
    return [this.options.apiKey, this.options.secret].filter((s): s is string => s !== null && s !== '');
  }

  /** Sends one request through the scheduler; failures arrive as src/errors.ts classes. */
  call<T>(call: BinanceCall, run: (ex: BinanceUsdmClient) => Promise<T>): Promise<T> {
    return this.options.scheduler.submit(this.spec(call, run));
  }
}

/**
 * A client created on first use (ccxt is imported then, never before) and shared by later
 * calls; a failed creation is forgotten so the next call tries again.
 */
export function lazyBinanceClient(options: BinanceClientOptions): () => Promise<BinanceClient> {
  let pending: Promise<BinanceClient> | null = null;
  return () => {
    if (pending === null) {
      const created = BinanceClient.create(options);
      pending = created;
      created.catch(() => {
        if (pending === created) pending = null;
      });
    }
    return pending;
  };
}
