import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../shared/bus/bus-event';
import { USER_EVENTS, UserAccountEventData } from '../user/user.contract';
import { OrdersService } from './orders.service';

/** Events the order module consumes. */
@Controller()
export class OrderEventsHandler {
  constructor(private readonly orders: OrdersService) {}

  /** Recorded in the inbox with its effect: a redelivery changes nothing. */
  @EventPattern(USER_EVENTS.deleted, { consumer: 'order-cancel-on-user-deleted' })
  async onUserDeleted(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    this.orders.forgetAccount(event.data.userId);
    await this.orders.cancelAllOpen(event.data.userId, {
      handler: 'orders.cancel-on-user-deleted',
      eventId: event.id,
    });
  }
}
