import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Bus } from '../../shared/bus/bus';
import { BusEvent, createEvent } from '../../shared/bus/bus-event';
import { Unauthenticated } from '../../shared/http/domain-error';
import { failpoint } from '../../shared/resilience/failpoints';
import { decodeCursor, Page, toPage } from '../../shared/http/pagination';
import { isAdmin } from '../../shared/security/auth.guard';
import type { Principal } from '../../shared/security/security.contract';
import { CheckAccountReply, CheckAccountRequest, USER_PATTERNS } from '../user/user.contract';
import { CreateOrderDto, OrderDto, toOrderDto } from './http/order.dto';
import { Order, orderRules } from './order';
import {
  ORDER_EVENTS,
  OrderCreatedData,
  OrderStatus,
  OrderStatusChangedData,
} from './order.contract';
import {
  IdempotencyKeyReused,
  InvalidStatusTransition,
  OrderNotCancellable,
  OrderNotFound,
} from './order.errors';
import { OrderRepository } from './persistence/order-repository';

export interface PlacedOrder {
  order: OrderDto;
  replayed: boolean;
}

/** The order module's use cases. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrderRepository,
    private readonly bus: Bus,
  ) {}

  async place(
    principal: Principal,
    input: CreateOrderDto,
    idempotencyKey?: string,
  ): Promise<PlacedOrder> {
    const account = await this.bus.request<CheckAccountReply, CheckAccountRequest>(
      USER_PATTERNS.checkAccount,
      { userId: principal.userId },
    );
    if (!account.exists) throw new Unauthenticated();
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
    const requestHash = hashRequest(order);
    const created = createEvent<OrderCreatedData>(
      ORDER_EVENTS.created,
      {
        orderId: order.id,
        userId: order.userId,
        status: order.status,
        totalCents: order.totalCents,
        currency: order.currency,
      },
      order.id,
    );
    const result = await this.orders.create(
      order,
      [created],
      idempotencyKey === undefined ? undefined : { key: idempotencyKey, requestHash },
    );
    if (result.kind === 'existing') {
      if (result.requestHash !== requestHash) throw new IdempotencyKeyReused();
      return { order: toOrderDto(result.order), replayed: true };
    }
    failpoint('order.after-commit');
    return { order: toOrderDto(order), replayed: false };
  }

  async get(principal: Principal, id: string): Promise<OrderDto> {
    return toOrderDto(await this.visible(principal, id));
  }

  async list(
    principal: Principal,
    limit: number,
    status?: OrderStatus,
    cursor?: string,
  ): Promise<Page<OrderDto>> {
    const rows = await this.orders.listByUser(
      principal.userId,
      limit + 1,
      status,
      decodeCursor(cursor),
    );
    return toPage(rows, limit, toOrderDto);
  }

  async cancel(principal: Principal, id: string): Promise<OrderDto> {
    const order = await this.visible(principal, id);
    if (!orderRules.canCancel(order.status)) throw new OrderNotCancellable(order.status);
    const event = statusEvent(ORDER_EVENTS.cancelled, order, 'cancelled');
    const cancelled = await this.orders.transition(id, order.status, 'cancelled', new Date(), [
      event,
    ]);
    if (!cancelled) return this.cancel(principal, id); // raced with another change: decide again
    return toOrderDto(cancelled);
  }

  /** Admin only (checked at the edge): one step along pending → confirmed → shipped → delivered. */
  async changeStatus(id: string, to: OrderStatus): Promise<OrderDto> {
    const order = await this.orders.findById(id);
    if (!order) throw new OrderNotFound();
    if (orderRules.next(order.status) !== to) throw new InvalidStatusTransition(order.status, to);
    const event = statusEvent(ORDER_EVENTS.statusChanged, order, to);
    const changed = await this.orders.transition(id, order.status, to, new Date(), [event]);
    if (!changed) return this.changeStatus(id, to);
    return toOrderDto(changed);
  }

  /** On `user.deleted`: every pending or confirmed order of the user is cancelled, once. */
  async cancelAllOpen(
    userId: string,
    inbox: { handler: string; eventId: string },
  ): Promise<number> {
    return this.orders.cancelAll(userId, ['pending', 'confirmed'], new Date(), inbox, (order) =>
      statusEvent(ORDER_EVENTS.cancelled, order, 'cancelled'),
    );
  }

  /** Owner or admin; anyone else gets 404 so existence is not revealed. */
  private async visible(principal: Principal, id: string): Promise<Order> {
    const order = await this.orders.findById(id);
    if (!order || (order.userId !== principal.userId && !isAdmin(principal))) {
      throw new OrderNotFound();
    }
    return order;
  }
}

function statusEvent(
  type: string,
  order: Order,
  to: OrderStatus,
): BusEvent<OrderStatusChangedData> {
  return createEvent<OrderStatusChangedData>(
    type,
    { orderId: order.id, userId: order.userId, from: order.status, to },
    order.id,
  );
}

/** Identifies a create request's body; key order is fixed so equal bodies hash equal. */
function hashRequest(order: Order): string {
  const canonical = JSON.stringify([
    order.currency,
    order.items.map((i) => [i.sku, i.name, i.quantity, i.unitPriceCents]),
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}
