import { Injectable } from '@nestjs/common';
import type { Principal } from '../../../shared/security/security.contract';
import { Order, orderRules } from '../order';
import { statusChanged } from '../order-events';
import { OrderNotCancellable } from '../order.errors';
import { OrderRepository } from '../persistence/order-repository';
import { ReadOrders } from '../read-orders/read-orders';

/** POST /api/orders/:id/cancel: the owner (or an admin) cancels a pending or confirmed order. */
@Injectable()
export class CancelOrder {
  constructor(
    private readonly orders: OrderRepository,
    private readonly read: ReadOrders,
  ) {}

  async execute(principal: Principal, id: string): Promise<Order> {
    for (;;) {
      const order = await this.read.visible(principal, id);
      if (!orderRules.canCancel(order.status)) throw new OrderNotCancellable(order.status);
      const event = statusChanged(order, 'cancelled');
      const cancelled = await this.orders.transition({
        id,
        from: order.status,
        to: 'cancelled',
        at: new Date(),
        events: [event],
      });
      if (cancelled) return cancelled;
      // Raced with another change: read again and decide again.
    }
  }
}
