import { BusEvent, createEvent } from '../../shared/bus/bus-event';
import type { Order } from './order';
import {
  ORDER_EVENTS,
  OrderCreatedData,
  OrderStatus,
  OrderStatusChangedData,
} from './order.contract';

/** `order.created`, keyed by the order so its events stay in order. */
export function orderCreated(order: Order): BusEvent<OrderCreatedData> {
  return createEvent<OrderCreatedData>(
    ORDER_EVENTS.created,
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
  const type = to === 'cancelled' ? ORDER_EVENTS.cancelled : ORDER_EVENTS.statusChanged;
  return createEvent<OrderStatusChangedData>(
    type,
    { orderId: order.id, userId: order.userId, from: order.status, to },
    order.id,
  );
}
