import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryOrderRepository } from '../../../../test/support/memory-order-repository';
import type { Order } from '../order';
import { orderCreated } from '../order-events';
import { IdempotencyKeyReused } from '../order.errors';
import { IDEMPOTENCY_TTL_MS, IdempotentInsert } from './idempotent-insert';

const USER = randomUUID();
const T0 = new Date('2026-12-01T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

function order(userId = USER): Order {
  return {
    id: randomUUID(),
    userId,
    items: [{ sku: 'A-1', name: 'Apple', quantity: 2, unitPriceCents: 150 }],
    totalCents: 300,
    currency: 'EUR',
    status: 'pending',
    createdAt: T0,
    updatedAt: T0,
  };
}

describe('IdempotentInsert (the Idempotency-Key rule, no database)', () => {
  let orders: MemoryOrderRepository;
  let rule: IdempotentInsert;
  const place = (o: Order, key: string | undefined, requestHash: string, now: Date) =>
    rule.insert(o, [orderCreated(o)], { key, requestHash, now });

  beforeEach(() => {
    orders = new MemoryOrderRepository();
    rule = new IdempotentInsert(orders);
  });

  it('without a key, every request creates its own order', async () => {
    await place(order(), undefined, 'h', T0);
    await place(order(), undefined, 'h', T0);
    expect(orders.orders.size).toBe(2);
    expect(orders.claims.size).toBe(0);
  });

  it('the same key and body within 24 h replay the first order, writing nothing and queuing no event', async () => {
    const first = order();
    expect(await place(first, 'k', 'h', T0)).toEqual({ order: first, replayed: false });
    const again = await place(order(), 'k', 'h', later(IDEMPOTENCY_TTL_MS - 1));
    expect(again).toEqual({ order: first, replayed: true });
    expect(orders.orders.size).toBe(1);
    expect(orders.events.map((e) => e.type)).toEqual(['order.created']);
  });

  it('the same key with another body within 24 h is refused (422) and writes nothing', async () => {
    await place(order(), 'k', 'h', T0);
    await expect(place(order(), 'k', 'other', later(1000))).rejects.toBeInstanceOf(
      IdempotencyKeyReused,
    );
    expect(orders.orders.size).toBe(1);
  });

  it('after 24 h the key is released from the old order, which stays, and the request creates its own', async () => {
    const first = order();
    await place(first, 'k', 'h', T0);
    const second = order();
    expect(await place(second, 'k', 'other', later(IDEMPOTENCY_TTL_MS))).toEqual({
      order: second,
      replayed: false,
    });
    expect([...orders.orders.keys()].sort()).toEqual([first.id, second.id].sort());
    expect(orders.claims.get(first.id)).toBeUndefined();
    expect(orders.claims.get(second.id)).toMatchObject({
      key: 'k',
      expiresAt: later(2 * IDEMPOTENCY_TTL_MS),
    });
  });

  it("keys are per user: another user's order with the same key does not count", async () => {
    await place(order(randomUUID()), 'k', 'h', T0);
    const mine = order();
    expect(await place(mine, 'k', 'other', T0)).toEqual({ order: mine, replayed: false });
  });

  it('a key released between its insert and its read is taken in a second round', async () => {
    const first = order();
    await place(first, 'k', 'h', T0);
    // The holder lets go of the key after our insert found it taken, before we read who holds it.
    orders.beforeNext = () => {
      orders.beforeNext = () => orders.claims.delete(first.id);
    };
    const mine = order();
    expect(await place(mine, 'k', 'other', later(1000))).toEqual({ order: mine, replayed: false });
  });
});
