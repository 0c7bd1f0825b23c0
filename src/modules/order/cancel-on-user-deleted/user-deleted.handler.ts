import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../../shared/bus/bus-event';
import { USER_EVENTS, UserAccountEventData } from '../../user/user.contract';
import { CancelOpenOrders } from './cancel-open-orders';

/** `user.deleted` → CancelOpenOrders. Recorded in the inbox with its effect. */
@Controller()
export class UserDeletedHandler {
  constructor(private readonly cancelOpen: CancelOpenOrders) {}

  @EventPattern(USER_EVENTS.deleted, { consumer: 'order-cancel-on-user-deleted' })
  async onUserDeleted(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    await this.cancelOpen.execute(event.data.userId, {
      handler: 'orders.cancel-on-user-deleted',
      eventId: event.id,
    });
  }
}
