/**
 * Start-up retries (issue 9: "One transient error at start-up exits the process"). The
 * requests of a start (exchange rules, leverage brackets, positions, open orders, warm-up
 * klines) are retried when the error says the exchange was only briefly unavailable:
 *
 *   RetryableExchangeError   5xx, timeouts, network errors, -1021 (the adapter has already
 *                            resynced the clock offset before this error reaches us)
 *   RateLimitedError         429/418: not before its Retry-After
 *   BreakerOpenError         the lanes refused locally; wait and ask again
 *   OrderUncertainError      an order of the reconciliation whose outcome is unknown
 *
 * with capped exponential back-off and full jitter. Every attempt goes through the execution
 * lanes like any request, so retries stay inside the weight budget. Anything else (keys
 * rejected or revoked, missing permissions, an unknown symbol) is fatal: thrown at once,
 * with what to fix.
 */
import { FatalExchangeError, InvalidOrderError, RateLimitedError, TraderError, describeError } from '../../errors.js';
import type { Clock, Logger } from '../../engine/ports.js';

export interface StartupRetryOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Attempts in all, the first included (default 10: about five minutes of back-off). */
  readonly maxAttempts?: number;
  /** First back-off (default 1 s); doubled per attempt up to `maxDelayMs` (default 60 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Uniform [0, 1) for the jitter (tests pass a fixed one). */
  readonly random?: () => number;
  /** Stops retrying (shutdown). */
  readonly signal?: AbortSignal;
}

export const DEFAULT_STARTUP_ATTEMPTS = 10;
export const DEFAULT_STARTUP_BASE_DELAY_MS = 1_000;
export const DEFAULT_STARTUP_MAX_DELAY_MS = 60_000;

/** True when waiting and asking again can help: the error says so by its reaction (retry, back off, reconcile). */
export function isTransient(error: unknown): boolean {
  return error instanceof TraderError && (error.reaction === 'retry' || error.reaction === 'back_off' || error.reaction === 'reconcile');
}

/** The wait before attempt `attempt + 1` (attempt counts from 1): full jitter, never before a Retry-After. */
export function backoffDelayMs(
  attempt: number,
  error: unknown,
  options: Pick<StartupRetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'> = {},
): number {
  const base = options.baseDelayMs ?? DEFAULT_STARTUP_BASE_DELAY_MS;
  const cap = options.maxDelayMs ?? DEFAULT_STARTUP_MAX_DELAY_MS;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half random: spread restarts of several instances without ever waiting ~0.
  const jittered = ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2);
  const retryAfter = error instanceof RateLimitedError ? error.retryAfterMs : 0;
  return Math.round(Math.max(jittered, retryAfter));
}

/** What an operator must fix for a fatal start-up error, appended to its message. */
export function whatToFix(error: unknown): string {
  if (error instanceof FatalExchangeError) {
    return 'check BINANCE_API_KEY / BINANCE_API_SECRET (not revoked, futures trading permission enabled, this IP whitelisted) and EXCHANGE_TESTNET (demo keys work only with it)';
  }
  if (error instanceof InvalidOrderError && error.code === 'symbol') return 'remove or correct that symbol in SYMBOLS';
  return 'see the error above';
}

/**
 * Runs `run` until it succeeds, retrying transient failures. Throws the first fatal error
 * as it is, or the last transient one once the attempts are used up (or on abort).
 */
export async function retryStartup<T>(what: string, run: () => Promise<T>, options: StartupRetryOptions): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_STARTUP_ATTEMPTS);
  const log = options.logger.child('startup');
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await run();
      if (attempt > 1) log.info(`${what}: succeeded on attempt ${attempt}`);
      return result;
    } catch (error) {
      if (!isTransient(error) || attempt >= maxAttempts || options.signal?.aborted === true) {
        if (isTransient(error)) log.error(`${what}: still failing after ${attempt} attempt(s); giving up`, { error: describeError(error) });
        throw error;
      }
      const delayMs = backoffDelayMs(attempt, error, options);
      log.warn(`${what} failed (transient); retrying in ${delayMs} ms`, { attempt, error: describeError(error) });
      await options.clock.sleep(delayMs);
    }
  }
}
