import { Injectable } from '@nestjs/common';
import type { Cursor } from '../../../shared/kernel/page';
import { isAdmin } from '../../../shared/security/auth.guard';
import type { Principal } from '../../../shared/security/security.contract';
import type { Order } from '../order';
import type { OrderStatus } from '../order.contract';
import { OrderNotFound } from '../order.errors';
import { OrderRepository } from '../persistence/order-repository';

/** GET /api/orders and /api/orders/:id: a user sees their own orders; an admin sees any. */
@Injectable()
export class ReadOrders {
  constructor(private readonly orders: OrderRepository) {}

  /** Owner or admin; anyone else gets 404 so existence is not revealed. */
  async visible(principal: Principal, id: string): Promise<Order> {
    const order = await this.orders.findById(id);
    if (!order || (order.userId !== principal.userId && !isAdmin(principal))) {
      throw new OrderNotFound();
    }
    return order;
  }

  /** The caller's orders, newest first, `limit` after `cursor` (one more, to know if more follow). */
  list(
    principal: Principal,
    limit: number,
    status?: OrderStatus,
    cursor?: Cursor,
  ): Promise<Order[]> {
    return this.orders.listByUser(principal.userId, { limit: limit + 1, status, cursor });
  }
}
