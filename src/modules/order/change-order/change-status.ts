import { Injectable } from '@nestjs/common';
import { Order, orderRules } from '../order';
import type { OrderStatus } from '../order.contract';
import { statusChanged } from '../order-events';
import { InvalidStatusTransition, OrderNotFound } from '../order.errors';
import { OrderRepository } from '../persistence/order-repository';

/** PATCH /api/orders/:id/status (admin, checked at the edge): one step along the state machine. */
@Injectable()
export class ChangeOrderStatus {
  constructor(private readonly orders: OrderRepository) {}

  async execute(id: string, to: OrderStatus): Promise<Order> {
    for (;;) {
      const order = await this.orders.findById(id);
      if (!order) throw new OrderNotFound();
      if (orderRules.next(order.status) !== to) throw new InvalidStatusTransition(order.status, to);
      const changed = await this.orders.transition({
        id,
        from: order.status,
        to,
        at: new Date(),
        events: [statusChanged(order, to)],
      });
      if (changed) return changed;
    }
  }
}
