/**
 * Error classes by how the caller must react (STYLE.md §4). Exchange errors are
 * mapped into these once, at the adapter boundary; the engine reacts to the class.
 */

export abstract class TraderError extends Error {
  /** How the caller must react. */
  abstract readonly reaction: 'fix_input' | 'retry' | 'reconcile' | 'skip' | 'pause' | 'back_off' | 'halt';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem of a configuration variable. */
export interface ConfigIssue {
  readonly variable: string;
  readonly problem: string;
  readonly expected: string;
}

/** Invalid configuration: every problem at once; the process exits with code 2. */
export class ConfigError extends TraderError {
  readonly reaction = 'fix_input' as const;
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${i.variable}: ${i.problem}; expected ${i.expected}`).join('\n'),
    );
  }
}

/** A user gave bad input (command option, CLI flag): tell them, change nothing. */
export class UserInputError extends TraderError {
  readonly reaction = 'fix_input' as const;
}

/** A data file is missing, unreadable or invalid; names the file and line. */
export class DataError extends TraderError {
  readonly reaction = 'fix_input' as const;
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(line === null ? `${file}: ${message}` : `${file} line ${line}: ${message}`, options);
  }
}

/** The store cannot be opened or read; never overwrite what is there. */
export class StoreError extends TraderError {
  readonly reaction = 'halt' as const;
}

/** Temporary exchange/network failure where nothing changed on the venue: safe to retry. */
export class RetryableExchangeError extends TraderError {
  readonly reaction = 'retry' as const;
}

/** An order whose outcome is unknown (timeout, 5xx): query it by client order id, never resend blindly. */
export class OrderUncertainError extends TraderError {
  readonly reaction = 'reconcile' as const;
  constructor(
    message: string,
    readonly clientOrderId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The exchange refused the order as invalid (filters, precision, would trigger, reduce-only): skip it. */
export class InvalidOrderError extends TraderError {
  readonly reaction = 'skip' as const;
  constructor(
    message: string,
    readonly code: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Not enough margin/balance: stop opening positions. */
export class InsufficientFundsError extends TraderError {
  readonly reaction = 'pause' as const;
}

/** Rate limited (429) or banned (418): back off until `retryAfterMs`. */
export class RateLimitedError extends TraderError {
  readonly reaction = 'back_off' as const;
  constructor(
    message: string,
    readonly retryAfterMs: number,
    readonly status: 429 | 418 | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Keys rejected, clock skew beyond recvWindow, or another error no retry can fix: stop trading, alert. */
export class FatalExchangeError extends TraderError {
  readonly reaction = 'halt' as const;
  constructor(
    message: string,
    readonly code: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request was refused locally by the breaker (lane blocked); nothing was sent. */
export class BreakerOpenError extends TraderError {
  readonly reaction = 'back_off' as const;
}

/** A human-readable one-liner for any thrown value (never just a stack trace). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
