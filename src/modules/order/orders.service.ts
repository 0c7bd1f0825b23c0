import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Bus } from '../../shared/bus/bus';
import { BusEvent, createEvent } from '../../shared/bus/bus-event';
import { isUnavailable, Unauthenticated } from '../../shared/http/domain-error';
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

/** How long a confirmed account may stand in for the user module while it is unreachable. */
const ACCOUNT_CHECK_FALLBACK_MS = 60_000;
const MAX_CONFIRMED = 100_000;

export interface PlacedOrder {
  order: OrderDto;
  replayed: boolean;
}

/** The order module's use cases. */
@Injectable()
export class OrdersService {
  /** Accounts the user module confirmed recently, until when (insertion order: oldest first). */
  private readonly confirmed = new Map<string, number>();

  constructor(
    private readonly orders: OrderRepository,
    private readonly bus: Bus,
  ) {}

  async place(
    principal: Principal,
    input: CreateOrderDto,
    idempotencyKey?: string,
  ): Promise<PlacedOrder> {
    if (!(await this.accountExists(principal.userId))) throw new Unauthenticated();
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

  /**
   * Asks the user module whether the account still exists. While the user module cannot be
   * reached (its breaker open, or it times out), an account confirmed within the last
   * ACCOUNT_CHECK_FALLBACK_MS still counts: a safe fallback, since it existed a moment ago and
   * its deletion cancels its open orders anyway. An unknown account fails closed with 503.
   */
  private async accountExists(userId: string): Promise<boolean> {
    try {
      const { exists } = await this.bus.request<CheckAccountReply, CheckAccountRequest>(
        USER_PATTERNS.checkAccount,
        { userId },
      );
      if (exists) this.confirmed.set(userId, Date.now() + ACCOUNT_CHECK_FALLBACK_MS);
      else this.confirmed.delete(userId);
      if (this.confirmed.size > MAX_CONFIRMED)
        this.confirmed.delete(this.confirmed.keys().next().value!);
      return exists;
    } catch (error) {
      if (isUnavailable(error) && (this.confirmed.get(userId) ?? 0) > Date.now()) return true;
      throw error;
    }
  }

  /** On `user.deleted`: the account is no longer confirmed. */
  forgetAccount(userId: string): void {
    this.confirmed.delete(userId);
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
