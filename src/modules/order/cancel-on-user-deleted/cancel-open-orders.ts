import { Injectable } from '@nestjs/common';
import { failpoint } from '../../../shared/resilience/failpoints';
import { orderRules } from '../order';
import { statusChanged } from '../order-events';
import { AccountView } from '../persistence/account-view';
import { OrderRepository } from '../persistence/order-repository';

/**
 * On `user.deleted`: the account gets its tombstone in the account view, then every open order
 * of the user is cancelled, each with its `order.cancelled` event, once per event however often
 * it is delivered. The tombstone comes first: an order placed meanwhile either is committed
 * before the cancelling (and cancelled with the others) or sees the tombstone (PlaceOrder).
 */
@Injectable()
export class CancelOpenOrders {
  constructor(
    private readonly orders: OrderRepository,
    private readonly accounts: AccountView,
  ) {}

  async execute(
    userId: string,
    inbox: { handler: string; eventId: string },
    accountVersion?: number,
  ): Promise<number> {
    await this.accounts.record(userId, { version: accountVersion, deleted: true });
    failpoint('order.cancel-open-orders');
    return this.orders.cancelAll({
      userId,
      from: orderRules.cancellable,
      at: new Date(),
      inbox,
      eventFor: (order) => statusChanged(order, 'cancelled'),
    });
  }
}
