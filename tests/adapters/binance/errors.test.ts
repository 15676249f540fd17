import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';

import {
  FatalExchangeError,
  InsufficientFundsError,
  InvalidOrderError,
  OrderUncertainError,
  RateLimitedError,
  RetryableExchangeError,
} from '../../../src/errors.js';
import { DEFAULT_RETRY_AFTER_MS, binanceErrorCode, mapBinanceError, parseBinanceErrorBody } from '../../../src/adapters/binance/errors.js';

const order = { isOrder: true, clientOrderId: 'e-1' } as const;
const read = { isOrder: false } as const;

/** What ccxt throws for a Binance error body behind a proxy: a plain ExchangeError. */
function proxied(code: number, msg: string): Error {
  return new ccxt.ExchangeError(`binanceusdm {"code":${code},"msg":"${msg}"}`);
}

describe('mapBinanceError', () => {
  it('maps Binance codes that ccxt left as a plain ExchangeError behind a proxy', () => {
    expect(mapBinanceError(proxied(-2019, 'Margin is insufficient.'), order)).toBeInstanceOf(InsufficientFundsError);
    expect(mapBinanceError(proxied(-1111, 'Precision is over the maximum defined for this asset.'), order)).toBeInstanceOf(
      InvalidOrderError,
    );
    expect(mapBinanceError(proxied(-2022, 'ReduceOnly Order is rejected.'), order)).toMatchObject({ code: '-2022' });
    expect(mapBinanceError(proxied(-4164, "Order's notional must be no smaller than 100"), order)).toBeInstanceOf(InvalidOrderError);
    expect(mapBinanceError(proxied(-2015, 'Invalid API-key, IP, or permissions for action.'), read)).toBeInstanceOf(FatalExchangeError);
    expect(mapBinanceError(proxied(-2014, 'API-key format invalid.'), read)).toBeInstanceOf(FatalExchangeError);
  });

  it('treats -1021 as retryable and says it is clock skew', () => {
    const mapped = mapBinanceError(proxied(-1021, 'Timestamp for this request is outside of the recvWindow.'), order);
    expect(mapped).toBeInstanceOf(RetryableExchangeError);
    expect(mapped.message).toContain('clock skew');
  });

  it('keeps the code when ccxt already mapped it to its own class on Binance hosts', () => {
    const error = new ccxt.InsufficientFunds('binanceusdm {"code":-2019,"msg":"Margin is insufficient."}');
    expect(mapBinanceError(error, order)).toBeInstanceOf(InsufficientFundsError);
  });

  it('reads 429 and 418 with their Retry-After', () => {
    const limited = mapBinanceError(new ccxt.DDoSProtection('binanceusdm 429 Too Many Requests {"code":-1003,"msg":"Too many requests"}'), {
      ...read,
      retryAfterMs: 5_000,
    });
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited).toMatchObject({ status: 429, retryAfterMs: 5_000 });

    const banned = mapBinanceError(new ccxt.DDoSProtection('binanceusdm 418 I\'m a teapot {"code":-1003,"msg":"banned"}'), read);
    expect(banned).toMatchObject({ status: 418, retryAfterMs: DEFAULT_RETRY_AFTER_MS });
  });

  it('maps -1003 without a status to RateLimitedError', () => {
    expect(mapBinanceError(proxied(-1003, 'Too much request weight used'), read)).toBeInstanceOf(RateLimitedError);
  });

  it('makes a timeout or network error on an order uncertain, and on a read retryable', () => {
    const timeout = new ccxt.RequestTimeout('binanceusdm POST http://127.0.0.1:1/fapi/v1/order request timed out (500 ms)');
    const onOrder = mapBinanceError(timeout, order);
    expect(onOrder).toBeInstanceOf(OrderUncertainError);
    expect(onOrder).toMatchObject({ clientOrderId: 'e-1' });
    expect(mapBinanceError(timeout, read)).toBeInstanceOf(RetryableExchangeError);

    const network = new ccxt.NetworkError('binanceusdm GET http://127.0.0.1:1/fapi/v1/order fetch failed: other side closed');
    expect(mapBinanceError(network, order)).toBeInstanceOf(OrderUncertainError);
    expect(mapBinanceError(network, read)).toBeInstanceOf(RetryableExchangeError);
  });

  it('makes a 5xx on an order uncertain even when ccxt calls it ExchangeNotAvailable', () => {
    const error = new ccxt.ExchangeNotAvailable(
      'binanceusdm POST http://127.0.0.1:1/fapi/v1/order 503 Service Unavailable <html>503</html>',
    );
    expect(mapBinanceError(error, order)).toBeInstanceOf(OrderUncertainError);
    expect(mapBinanceError(error, { ...order, httpStatus: 503 })).toBeInstanceOf(OrderUncertainError);
    expect(mapBinanceError(error, read)).toBeInstanceOf(RetryableExchangeError);
  });

  it('does not mistake a number inside a Binance message for an HTTP status', () => {
    const mapped = mapBinanceError(proxied(-4164, "Order's notional must be no smaller than 500 (unless you choose reduce only)."), order);
    expect(mapped).toBeInstanceOf(InvalidOrderError);
  });

  it('falls back on ccxt class names where no code is present', () => {
    expect(mapBinanceError(new ccxt.InsufficientFunds('binanceusdm Account has insufficient balance'), order)).toBeInstanceOf(
      InsufficientFundsError,
    );
    expect(mapBinanceError(new ccxt.InvalidOrder('binanceusdm amount must be greater than minimum'), order)).toBeInstanceOf(
      InvalidOrderError,
    );
    expect(mapBinanceError(new ccxt.AuthenticationError('binanceusdm requires "apiKey"'), read)).toBeInstanceOf(FatalExchangeError);
    expect(mapBinanceError(new ccxt.InvalidNonce('binanceusdm your time is ahead of server'), read)).toBeInstanceOf(RetryableExchangeError);
  });

  it('passes already mapped errors through unchanged', () => {
    const original = new InvalidOrderError('nope', '-2022');
    expect(mapBinanceError(original, order)).toBe(original);
  });

  it('gives every mapped error a readable message, not a stack trace', () => {
    const mapped = mapBinanceError(proxied(-2019, 'Margin is insufficient.'), order);
    expect(mapped.message).toBe('Binance -2019: Margin is insufficient.');
  });
});

describe('binanceErrorCode', () => {
  it('finds the code in a ccxt message, a mapped error, or its cause', () => {
    expect(binanceErrorCode(proxied(-4116, 'ClientOrderId is duplicated.'))).toBe(-4116);
    expect(binanceErrorCode(new InvalidOrderError('x', '-2013'))).toBe(-2013);
    expect(binanceErrorCode(new RetryableExchangeError('x', { cause: proxied(-1021, 'skew') }))).toBe(-1021);
    expect(binanceErrorCode(new Error('no code here'))).toBeNull();
  });

  it('parses a Binance body anywhere in a message', () => {
    expect(parseBinanceErrorBody('binanceusdm {"code":-2013,"msg":"Order does not exist."}')).toEqual({
      code: -2013,
      msg: 'Order does not exist.',
    });
    expect(parseBinanceErrorBody('no json')).toBeNull();
  });
});
