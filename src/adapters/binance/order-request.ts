/**
 * What an order request must satisfy before anything is sent (Binance's client id rule,
 * positive quantity, a price for limits, a trigger for conditional orders).
 */
import { InvalidOrderError } from '../../errors.js';
import { CLIENT_ORDER_ID_PATTERN } from '../../engine/client-order-id.js';
import type { OrderRequest } from '../../engine/types.js';

/** Binance's rule for client order ids (newClientOrderId / clientAlgoId), owned by the engine's id scheme. */
export { CLIENT_ORDER_ID_PATTERN };

export function isTriggerType(type: OrderRequest['type']): boolean {
  return type === 'stop_market' || type === 'take_profit_market';
}

/** Throws InvalidOrderError before anything is sent when the request cannot be valid. */
export function validateOrderRequest(request: OrderRequest): void {
  const id = request.clientOrderId;
  if (!CLIENT_ORDER_ID_PATTERN.test(id)) {
    throw new InvalidOrderError(`Client order id "${id}" does not match Binance's ^[.A-Z:/a-z0-9_-]{1,36}$`, 'client_order_id');
  }
  if (!(request.quantity > 0) || !Number.isFinite(request.quantity)) {
    throw new InvalidOrderError(`Order ${id}: quantity must be a positive number, got ${request.quantity}`, 'quantity');
  }
  if (request.type === 'limit' && !(request.price !== undefined && request.price > 0)) {
    throw new InvalidOrderError(`Order ${id}: a limit order needs a positive price`, 'price');
  }
  if (isTriggerType(request.type) && !(request.stopPrice !== undefined && request.stopPrice > 0)) {
    throw new InvalidOrderError(`Order ${id}: a ${request.type} order needs a positive stopPrice`, 'stop_price');
  }
}
