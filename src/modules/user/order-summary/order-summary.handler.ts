import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../../shared/bus/bus-event';
import { OnEvent } from '../../../shared/bus/bus-handler';
import {
  OPEN_ORDER_STATUSES,
  OrderCancelled,
  OrderCreated,
  type OrderCreatedData,
  OrderStatusChanged,
  type OrderStatusChangedData,
} from '../../order/order.contract';
import { UserRepository } from '../persistence/user-repository';

/** An unknown status (a newer order module's) counts in `total` only: not as open. */
const isOpen = (status: string): number => (OPEN_ORDER_STATUSES.includes(status) ? 1 : 0);

/** Each handler's one name: its durable consumer on NATS and its inbox key. */
const ON_CREATED = 'user-order-summary-created';
const ON_STATUS_CHANGED = 'user-order-summary-status';
const ON_CANCELLED = 'user-order-summary-cancelled';

/** Keeps `orderSummary` from order events; each event counts once (inbox). */
@Controller()
export class OrderSummaryHandler {
  constructor(private readonly users: UserRepository) {}

  @OnEvent(OrderCreated, { consumer: ON_CREATED })
  onCreated(@Payload() event: BusEvent<OrderCreatedData>): Promise<void> {
    return this.apply(ON_CREATED, event, event.data.userId, 1, isOpen(event.data.status));
  }

  @OnEvent(OrderStatusChanged, { consumer: ON_STATUS_CHANGED })
  onStatusChanged(@Payload() event: BusEvent<OrderStatusChangedData>): Promise<void> {
    const { userId, from, to } = event.data;
    return this.apply(ON_STATUS_CHANGED, event, userId, 0, isOpen(to) - isOpen(from));
  }

  @OnEvent(OrderCancelled, { consumer: ON_CANCELLED })
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
