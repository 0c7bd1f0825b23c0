import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../shared/bus/bus-event';
import { USER_EVENTS, UserAccountEventData } from '../user/user.contract';
import { OrdersService } from './orders.service';

/** Events the order module consumes. */
@Controller()
export class OrderEventsHandler {
  constructor(private readonly orders: OrdersService) {}

  /** Cancelling is naturally idempotent: a redelivery finds nothing left to cancel. */
  @EventPattern(USER_EVENTS.deleted)
  onUserDeleted(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    return this.orders.cancelAllOpen(event.data.userId);
  }
}
