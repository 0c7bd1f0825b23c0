import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryOrderRepository } from '../../../../test/support/memory-order-repository';
import type { Order } from '../order';
import type { OrderStatus } from '../order.contract';
import { InvalidStatusTransition, OrderNotFound } from '../order.errors';
import { ChangeOrderStatus } from './change-status';

const T0 = new Date('2026-12-01T10:00:00.000Z');

describe('ChangeOrderStatus (the admin moves an order one step along its state machine, no database)', () => {
  let orders: MemoryOrderRepository;
  let change: ChangeOrderStatus;
  let order: Order;

  beforeEach(async () => {
    orders = new MemoryOrderRepository();
    change = new ChangeOrderStatus(orders);
    order = {
      id: randomUUID(),
      userId: randomUUID(),
      items: [{ sku: 'A-1', name: 'Apple', quantity: 1, unitPriceCents: 100 }],
      totalCents: 100,
      currency: 'EUR',
      status: 'pending',
      createdAt: T0,
      updatedAt: T0,
    };
    await orders.insert(order, []);
  });

  it('walks pending → confirmed → shipped → delivered, one order.status-changed event per step', async () => {
    for (const to of ['confirmed', 'shipped', 'delivered'] as OrderStatus[]) {
      expect((await change.execute(order.id, to)).status).toBe(to);
    }
    expect(orders.events.map((e) => (e.data as { to: string }).to)).toEqual([
      'confirmed',
      'shipped',
      'delivered',
    ]);
  });

  it('refuses a skipped step, a step back, a step past delivered and a cancellation (409), changing nothing', async () => {
    await expect(change.execute(order.id, 'shipped')).rejects.toBeInstanceOf(
      InvalidStatusTransition,
    );
    await expect(change.execute(order.id, 'cancelled')).rejects.toBeInstanceOf(
      InvalidStatusTransition,
    );
    orders.setStatus(order.id, 'delivered');
    await expect(change.execute(order.id, 'pending')).rejects.toThrow(
      'An order cannot go from delivered to pending.',
    );
    expect(orders.events).toEqual([]);
  });

  it('answers 404 for an order that does not exist', async () => {
    await expect(change.execute(randomUUID(), 'confirmed')).rejects.toBeInstanceOf(OrderNotFound);
  });

  it('decides again when another change got there first: a cancellation in between makes the step invalid', async () => {
    // Between the use case's read and its compare-and-set, the owner cancels the order.
    orders.beforeNext = () => {
      orders.beforeNext = () => orders.setStatus(order.id, 'cancelled');
    };
    await expect(change.execute(order.id, 'confirmed')).rejects.toThrow(
      'An order cannot go from cancelled to confirmed.',
    );
    expect(orders.events).toEqual([]);
  });
});
