/**
 * The order module's whole public surface: the events it publishes and their payloads.
 * Other modules may import this file and nothing else of the order module.
 */
export const ORDER_STATUSES = [
  'pending',
  'confirmed',
  'shipped',
  'delivered',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses that count as `open` in a user's order summary. */
export const OPEN_ORDER_STATUSES: readonly OrderStatus[] = ['pending', 'confirmed', 'shipped'];

export const ORDER_EVENTS = {
  created: 'order.created',
  statusChanged: 'order.status-changed',
  cancelled: 'order.cancelled',
} as const;

export interface OrderCreatedData {
  orderId: string;
  userId: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
}

/** Data of `order.status-changed` and `order.cancelled`. */
export interface OrderStatusChangedData {
  orderId: string;
  userId: string;
  from: OrderStatus;
  to: OrderStatus;
}
