import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Unauthenticated } from '../../../shared/kernel/domain-error';
import { failpoint } from '../../../shared/resilience/failpoints';
import type { Principal } from '../../../shared/security/security.contract';
import { CancelOpenOrders } from '../cancel-on-user-deleted/cancel-open-orders';
import { Order, OrderItem, orderRules } from '../order';
import { orderCreated } from '../order-events';
import { AccountView } from '../persistence/account-view';
import { OrderRepository } from '../persistence/order-repository';
import { IdempotentInsert } from './idempotent-insert';

/** What a client asks for; the HTTP edge maps its body to this. */
export interface PlaceOrderInput {
  items: readonly OrderItem[];
  currency: string;
}

export interface PlacedOrder {
  order: Order;
  /** The order was created earlier with the same Idempotency-Key and body. */
  replayed: boolean;
}

/**
 * POST /api/orders: the order is priced, stored as `pending` with its `order.created` event in
 * one write, and an Idempotency-Key replays the first answer for 24 h. It asks no other module:
 * a valid access token proves the account (deleting it, or changing its password, revokes its
 * sessions in every process within a second). For the moment in between, the account view
 * decides: an order whose account has a tombstone by the time it is stored is cancelled at once
 * and refused (401). `user.deleted` writes the tombstone before it cancels the open orders, so
 * an order racing the deletion is cancelled either way.
 */
@Injectable()
export class PlaceOrder {
  private readonly idempotent: IdempotentInsert;

  constructor(
    orders: OrderRepository,
    private readonly accounts: AccountView,
    private readonly cancelOpen: CancelOpenOrders,
  ) {
    this.idempotent = new IdempotentInsert(orders);
  }

  async execute(
    principal: Principal,
    input: PlaceOrderInput,
    idempotencyKey?: string,
  ): Promise<PlacedOrder> {
    const now = new Date();
    const items = input.items.map(({ sku, name, quantity, unitPriceCents }) => ({
      sku,
      name,
      quantity,
      unitPriceCents,
    }));
    const order: Order = {
      id: randomUUID(),
      userId: principal.userId,
      items,
      totalCents: orderRules.total(items),
      currency: input.currency,
      status: 'pending',
      createdAt: now,
      updatedAt: now,
    };
    // The body's hash only matters to a key: without one it is not computed.
    const placed = await this.idempotent.insert(
      order,
      [orderCreated(order)],
      idempotencyKey === undefined
        ? { now }
        : { key: idempotencyKey, requestHash: hashRequest(order), now },
    );
    if (await this.accounts.isDeleted(principal.userId)) {
      await this.cancelOpen.execute(principal.userId, {
        handler: 'order-placed-after-deletion',
        eventId: placed.order.id,
      });
      throw new Unauthenticated();
    }
    if (!placed.replayed) failpoint('order.after-commit');
    return placed;
  }
}

/** Identifies a create request's body; key order is fixed so equal bodies hash equal. */
function hashRequest(order: Order): string {
  const canonical = JSON.stringify([
    order.currency,
    order.items.map((i) => [i.sku, i.name, i.quantity, i.unitPriceCents]),
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}
