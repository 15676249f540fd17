/**
 * Binance / ccxt errors → the classes of src/errors.ts, in one place (STYLE.md §4:
 * map exchange errors once, at the boundary; the engine reacts to the class).
 *
 * Why codes first: ccxt maps Binance's *futures* error codes to its own classes only
 * when the URL is Binance's own host (`getExceptionsByUrl`). Behind EXCHANGE_API_BASE
 * (a proxy or the test fake) a `{"code":-2019,...}` body arrives as a plain
 * ExchangeError whose message is `binanceusdm {"code":-2019,"msg":"..."}`. So the
 * Binance code is parsed from the message and decides; ccxt's class name is only the
 * fallback. This module never imports ccxt (paper mode must not load it): ccxt classes
 * are recognised by name along the prototype chain.
 */
import {
  FatalExchangeError,
  InsufficientFundsError,
  InvalidOrderError,
  OrderUncertainError,
  RateLimitedError,
  RetryableExchangeError,
  TraderError,
} from '../../errors.js';

export interface BinanceErrorContext {
  /** The order concerned, when the failing call created or queried one. */
  readonly clientOrderId?: string;
  /** True when the call creates an order (its outcome may be unknown after a timeout or 5xx). */
  readonly isOrder: boolean;
  /** HTTP status of the response, when one arrived (captured per request by the client). */
  readonly httpStatus?: number;
  /** Retry-After of a 429/418 response, in ms. */
  readonly retryAfterMs?: number;
}

/** Binance's body of an error response. */
export interface BinanceErrorBody {
  readonly code: number;
  readonly msg: string;
}

/** Used when a 429/418 carries no Retry-After: Binance's weight window is one minute. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;

/** Codes whose execution status Binance itself calls unknown, or internal failures. */
const UNKNOWN_OUTCOME_CODES = new Set([-1000, -1001, -1006, -1007, -1008]);
const RATE_LIMIT_CODES = new Set([-1003, -1015]);
const AUTH_CODES = new Set([-1002, -1022, -2014, -2015, -4087, -4088]);
const INSUFFICIENT_CODES = new Set([-2018, -2019, -2024]);
/** Orders the exchange refused as invalid: filters, precision, reduce-only, would trigger. */
const INVALID_ORDER_CODES = new Set([
  -1013, -1111, -1116, -1117, -2010, -2011, -2013, -2020, -2021, -2022, -2025, -4003, -4004, -4005, -4013, -4014, -4015, -4016, -4023,
  -4024, -4028, -4029, -4031, -4046, -4059, -4061, -4116, -4164, -5021, -5022, -5028,
]);

/** Query parameters that carry a secret or a signature in a signed Binance URL. */
const SECRET_PARAM = /([?&;\s](?:signature|apiKey|api_key|apiSecret|secret|X-MBX-APIKEY)=)[^&\s"'<>]*/gi;

/**
 * The text with every `signature=…` (and any key or secret parameter) replaced, and each of
 * `secrets` (the API key and secret themselves) wherever it appears. ccxt quotes the full
 * signed URL in its error messages; nothing of it may reach a log line.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(SECRET_PARAM, '$1[redacted]');
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * Redacts an error's message and stack in place, and those of its causes (bounded depth):
 * the raw ccxt error stays attached as `cause` of the mapped one.
 */
export function redactError(error: unknown, secrets: readonly string[] = []): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    try {
      current.message = redactSecrets(current.message, secrets);
      if (typeof current.stack === 'string') current.stack = redactSecrets(current.stack, secrets);
    } catch {
      // A frozen error: its text is left as is, the mapped error's own message is redacted below.
    }
    current = current.cause;
  }
  return error;
}

/** `{"code":-2019,"msg":"..."}` found anywhere in a message (ccxt prefixes the exchange id). */
export function parseBinanceErrorBody(text: string): BinanceErrorBody | null {
  const match = /\{[^{}]*"code"\s*:\s*(-?\d+)[^{}]*\}/.exec(text);
  if (match === null) return null;
  try {
    const parsed = JSON.parse(match[0]) as { code?: unknown; msg?: unknown };
    const code = Number(parsed.code);
    if (!Number.isFinite(code)) return null;
    return { code, msg: typeof parsed.msg === 'string' ? parsed.msg : '' };
  } catch {
    const code = Number(match[1]);
    return Number.isFinite(code) ? { code, msg: '' } : null;
  }
}

/** The Binance error code carried by an error (mapped or not, or its `cause`), or null. */
export function binanceErrorCode(error: unknown): number | null {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current instanceof InvalidOrderError || current instanceof FatalExchangeError) {
      const code = current.code === null ? Number.NaN : Number(current.code);
      if (Number.isFinite(code)) return code;
    }
    const parsed = parseBinanceErrorBody(current.message);
    if (parsed !== null) return parsed.code;
    current = current.cause;
  }
  return null;
}

/** Names of the classes along an error's prototype chain (ccxt: `InvalidOrder` → `ExchangeError` → `BaseError`). */
function classNames(error: unknown): Set<string> {
  const names = new Set<string>();
  if (typeof error !== 'object' || error === null) return names;
  const named = (error as { name?: unknown }).name;
  if (typeof named === 'string') names.add(named);
  for (let proto = Object.getPrototypeOf(error) as object | null, depth = 0; proto !== null && depth < 16; depth++) {
    const ctor = (proto as { constructor?: { name?: unknown } }).constructor;
    if (typeof ctor?.name === 'string' && ctor.name.length > 0) names.add(ctor.name);
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return names;
}

/** HTTP status named in a ccxt message (`binanceusdm 429 Too Many Requests ...`, `... 503 Service Unavailable ...`). */
function statusFromMessage(message: string): number | null {
  // Only before any JSON body: a Binance `msg` may itself contain numbers ("smaller than 500 ...").
  const head = message.split('{')[0] ?? '';
  const match = /(?:^|\s)(4\d\d|5\d\d)\s+[A-Z][A-Za-z ]*/.exec(head);
  return match?.[1] === undefined ? null : Number(match[1]);
}

function shortMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function uncertainOrRetry(reason: string, error: unknown, context: BinanceErrorContext): TraderError {
  if (context.isOrder) {
    const id = context.clientOrderId ?? '(unknown)';
    return new OrderUncertainError(`Order ${id}: outcome unknown (${reason}); query it before resending`, id, {
      cause: error,
    });
  }
  return new RetryableExchangeError(`Binance request failed (${reason}); safe to retry`, { cause: error });
}

function mapByCode(body: BinanceErrorBody, error: unknown, context: BinanceErrorContext): TraderError {
  const { code, msg } = body;
  const what = `Binance ${code}: ${msg || 'no message'}`;
  const codeText = String(code);
  if (code === -1021) {
    return new RetryableExchangeError(
      `${what} (request timestamp outside recvWindow: local clock skew; resync the time offset and retry)`,
      { cause: error },
    );
  }
  if (RATE_LIMIT_CODES.has(code) || context.httpStatus === 429 || context.httpStatus === 418) {
    const status = context.httpStatus === 418 ? 418 : 429;
    const retryAfterMs = context.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    return new RateLimitedError(`${what} (HTTP ${status}, retry after ${retryAfterMs} ms)`, retryAfterMs, status, {
      cause: error,
    });
  }
  if (AUTH_CODES.has(code)) {
    return new FatalExchangeError(`${what} (API key rejected: check key, secret, IP whitelist and permissions)`, codeText, {
      cause: error,
    });
  }
  if (INSUFFICIENT_CODES.has(code)) return new InsufficientFundsError(what, { cause: error });
  if (UNKNOWN_OUTCOME_CODES.has(code)) return uncertainOrRetry(what, error, context);
  if (context.httpStatus !== undefined && context.httpStatus >= 500) return uncertainOrRetry(what, error, context);
  if (INVALID_ORDER_CODES.has(code) || context.isOrder || (code <= -1100 && code > -1200)) {
    return new InvalidOrderError(what, codeText, { cause: error });
  }
  return new FatalExchangeError(`${what} (unexpected Binance error)`, codeText, { cause: error });
}

/**
 * Maps any error thrown while talking to Binance through ccxt into a TraderError.
 * Already-mapped TraderErrors pass through unchanged.
 *
 * Order calls (`isOrder`): timeouts, network errors and 5xx → OrderUncertainError
 * (query by client order id, never resend blindly). Reads: the same → RetryableExchangeError.
 * -2013 / -2011 (no such order) → InvalidOrderError with that code; `fetchOrder` turns it into null.
 */
export function mapBinanceError(error: unknown, context: BinanceErrorContext): TraderError {
  if (error instanceof TraderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const httpStatus = context.httpStatus ?? statusFromMessage(message) ?? undefined;
  const ctx: BinanceErrorContext = httpStatus === undefined ? context : { ...context, httpStatus };

  if (httpStatus === 429 || httpStatus === 418) {
    const retryAfterMs = ctx.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    return new RateLimitedError(
      `Binance rate limit: HTTP ${httpStatus}${httpStatus === 418 ? ' (IP banned)' : ''}, retry after ${retryAfterMs} ms`,
      retryAfterMs,
      httpStatus,
      { cause: error },
    );
  }

  const body = parseBinanceErrorBody(message);
  if (body !== null) return mapByCode(body, error, ctx);

  if (httpStatus !== undefined && httpStatus >= 500) {
    return uncertainOrRetry(`HTTP ${httpStatus}: ${shortMessage(error)}`, error, ctx);
  }

  const names = classNames(error);
  const has = (name: string): boolean => names.has(name);
  if (has('DDoSProtection') || has('RateLimitExceeded')) {
    const retryAfterMs = ctx.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    return new RateLimitedError(`Binance rate limit: ${shortMessage(error)}`, retryAfterMs, null, { cause: error });
  }
  if (has('InvalidNonce')) {
    return new RetryableExchangeError(`Binance rejected the request timestamp (clock skew): ${shortMessage(error)}`, {
      cause: error,
    });
  }
  // RequestTimeout, ExchangeNotAvailable and OnMaintenance are NetworkErrors in ccxt.
  if (has('NetworkError')) return uncertainOrRetry(shortMessage(error), error, ctx);
  if (has('InsufficientFunds')) return new InsufficientFundsError(shortMessage(error), { cause: error });
  if (has('AuthenticationError') || has('PermissionDenied') || has('AccountSuspended') || has('AccountNotEnabled')) {
    return new FatalExchangeError(`Binance refused the credentials: ${shortMessage(error)}`, null, { cause: error });
  }
  if (
    has('InvalidOrder') ||
    has('OrderNotFound') ||
    has('BadRequest') ||
    has('BadSymbol') ||
    has('ArgumentsRequired') ||
    has('OperationRejected')
  ) {
    return new InvalidOrderError(shortMessage(error), null, { cause: error });
  }
  if (has('OperationFailed')) return uncertainOrRetry(shortMessage(error), error, ctx);
  if (has('ExchangeError')) {
    return ctx.isOrder
      ? new InvalidOrderError(`Binance refused the order: ${shortMessage(error)}`, null, { cause: error })
      : new RetryableExchangeError(`Binance error: ${shortMessage(error)}`, { cause: error });
  }
  // Not from ccxt (e.g. a socket error surfacing raw): unknown outcome for an order.
  return uncertainOrRetry(shortMessage(error), error, ctx);
}
