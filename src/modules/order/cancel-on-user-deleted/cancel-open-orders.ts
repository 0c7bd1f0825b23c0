import { Injectable } from '@nestjs/common';
import { failpoint } from '../../../shared/resilience/failpoints';
import { AccountCheck } from '../clients/account-check.client';
import { orderRules } from '../order';
import { statusChanged } from '../order-events';
import { OrderRepository } from '../persistence/order-repository';

/**
 * On `user.deleted`: every open order of the user is cancelled, each with its
 * `order.cancelled` event, once per event however often it is delivered.
 */
@Injectable()
export class CancelOpenOrders {
  constructor(
    private readonly orders: OrderRepository,
    private readonly accounts: AccountCheck,
  ) {}

  execute(userId: string, inbox: { handler: string; eventId: string }): Promise<number> {
    this.accounts.forget(userId);
    failpoint('order.cancel-open-orders');
    return this.orders.cancelAll(userId, orderRules.cancellable, new Date(), inbox, (order) =>
      statusChanged(order, 'cancelled'),
    );
  }
}
