import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../../shared/bus/bus-event';
import { OnEvent } from '../../../shared/bus/bus-handler';
import { type UserAccountEventData, UserDeleted } from '../../user/user.contract';
import { CancelOpenOrders } from './cancel-open-orders';

/** The handler's one name: its durable consumer on NATS and its inbox key. */
const CANCEL_ON_USER_DELETED = 'order-cancel-on-user-deleted';

/** `user.deleted` → CancelOpenOrders. Recorded in the inbox with its effect. */
@Controller()
export class UserDeletedHandler {
  constructor(private readonly cancelOpen: CancelOpenOrders) {}

  @OnEvent(UserDeleted, { consumer: CANCEL_ON_USER_DELETED })
  async onUserDeleted(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    await this.cancelOpen.execute(
      event.data.userId,
      { handler: CANCEL_ON_USER_DELETED, eventId: event.id },
      event.data.accountVersion,
    );
  }
}
