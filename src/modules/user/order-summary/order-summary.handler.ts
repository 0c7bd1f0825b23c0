import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../../shared/bus/bus-event';
import {
  OPEN_ORDER_STATUSES,
  ORDER_EVENTS,
  OrderCreatedData,
  OrderStatus,
  OrderStatusChangedData,
} from '../../order/order.contract';
import { UsersRepository } from '../persistence/users.repository';

const isOpen = (status: OrderStatus): number => (OPEN_ORDER_STATUSES.includes(status) ? 1 : 0);

/** Each handler's one name: its durable consumer on NATS and its inbox key. */
const ON_CREATED = 'user-order-summary-created';
const ON_STATUS_CHANGED = 'user-order-summary-status';
const ON_CANCELLED = 'user-order-summary-cancelled';

/** Keeps `orderSummary` from order events; each event counts once (inbox). */
@Controller()
export class OrderSummaryHandler {
  constructor(private readonly users: UsersRepository) {}

  @EventPattern(ORDER_EVENTS.created, { consumer: ON_CREATED })
  onCreated(@Payload() event: BusEvent<OrderCreatedData>): Promise<void> {
    return this.apply(ON_CREATED, event, event.data.userId, 1, isOpen(event.data.status));
  }

  @EventPattern(ORDER_EVENTS.statusChanged, { consumer: ON_STATUS_CHANGED })
  onStatusChanged(@Payload() event: BusEvent<OrderStatusChangedData>): Promise<void> {
    const { userId, from, to } = event.data;
    return this.apply(ON_STATUS_CHANGED, event, userId, 0, isOpen(to) - isOpen(from));
  }

  @EventPattern(ORDER_EVENTS.cancelled, { consumer: ON_CANCELLED })
  onCancelled(@Payload() event: BusEvent<OrderStatusChangedData>): Promise<void> {
    const { userId, from, to } = event.data;
    return this.apply(ON_CANCELLED, event, userId, 0, isOpen(to) - isOpen(from));
  }

  private async apply(
    handler: string,
    event: BusEvent,
    userId: string,
    totalDelta: number,
    openDelta: number,
  ): Promise<void> {
    await this.users.applyOrderEvent(handler, event.id, userId, totalDelta, openDelta);
  }
}
