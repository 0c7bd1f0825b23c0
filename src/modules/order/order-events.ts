import { BusEvent, createEvent } from '../../shared/bus/bus-event';
import type { Order } from './order';
import {
  OrderCancelled,
  OrderCreated,
  type OrderCreatedData,
  type OrderStatus,
  OrderStatusChanged,
  type OrderStatusChangedData,
} from './order.contract';

/** `order.created`, keyed by the order so its events stay in order. */
export function orderCreated(order: Order): BusEvent<OrderCreatedData> {
  return createEvent(
    OrderCreated,
    {
      orderId: order.id,
      userId: order.userId,
      status: order.status,
      totalCents: order.totalCents,
      currency: order.currency,
    },
    order.id,
  );
}

/** `order.cancelled` or `order.status-changed`: the order leaves its status for `to`. */
export function statusChanged(order: Order, to: OrderStatus): BusEvent<OrderStatusChangedData> {
  return createEvent(
    to === 'cancelled' ? OrderCancelled : OrderStatusChanged,
    { orderId: order.id, userId: order.userId, from: order.status, to },
    order.id,
  );
}
