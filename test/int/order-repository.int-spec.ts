import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { BusEvent } from '../../src/shared/bus/bus-event';
import { anyEvent } from '../support/bus-events';
import type { Order } from '../../src/modules/order/order';
import type { OrderStatus } from '../../src/modules/order/order.contract';
import type { OrderRepository } from '../../src/modules/order/persistence/order-repository';
import { IdempotencyKeyReused } from '../../src/modules/order/order.errors';
import {
  IDEMPOTENCY_TTL_MS,
  IdempotentInsert,
} from '../../src/modules/order/place-order/idempotent-insert';
import {
  openAccountView,
  openOrderDatabase,
  openOrderRepository,
  openOrderOutboxRepository,
} from '../../src/modules/order/persistence/order-database';
import { eventually } from '../support/api';
import type { RecordingBus } from '../support/recording-bus';
import { losingFirstAnswerOf, statementsOf, useRepository } from '../support/repository-fixture';
import { ModuleDatabase } from '../../src/shared/persistence/module-database';
import { databaseTargets } from '../support/services';
import { itOrSkip } from '../support/skip';

/**
 * The order repository's contract, proven on every adapter: PGlite, Postgres and MongoDB. Each
 * promise here is one the order service relies on.
 */
for (const database of databaseTargets()) {
  describe(`order repository contract on ${database}`, () => {
    const fixture = useRepository('order', database, {
      database: openOrderDatabase,
      outbox: openOrderOutboxRepository,
      repository: openOrderRepository,
    });
    let orders: OrderRepository;
    let bus: RecordingBus;
    beforeAll(() => void ({ repository: orders, bus } = fixture));

    const newOrder = (
      userId: string,
      createdAt = new Date(),
      status: OrderStatus = 'pending',
    ): Order => ({
      id: randomUUID(),
      userId,
      items: [{ sku: 'SKU-1', name: 'Widget', quantity: 2, unitPriceCents: 1250 }],
      totalCents: 2500,
      currency: 'EUR',
      status,
      createdAt,
      updatedAt: createdAt,
    });
    const event = (order: Order, type = 'order.created') => anyEvent(type, { orderId: order.id });
    /** `transition` now, from `from` to `to`, queuing `events`. */
    const transition = (id: string, from: OrderStatus, to: OrderStatus, events: BusEvent[] = []) =>
      orders.transition({ id, from, to, at: new Date(), events });
    const deliveredFor = (orderId: string) =>
      bus.delivered
        .filter((e) => (e.data as { orderId?: string }).orderId === orderId)
        .map((e) => e.type);

    it('stores an order exactly as given and finds it by id', async () => {
      const order = newOrder(randomUUID());
      expect(await orders.insert(order, [event(order)])).toBe('inserted');
      expect(await orders.findById(order.id)).toEqual(order);
      expect(await orders.findById(randomUUID())).toBeUndefined();
      expect(await orders.findById('not-a-uuid')).toBeUndefined();
    });

    it('stores orders placed at the same time, each with its event; one that fails fails alone', async () => {
      const userId = randomUUID();
      const stored = newOrder(userId);
      await orders.insert(stored, []);
      const placed = [newOrder(userId), newOrder(userId), { ...newOrder(userId), id: stored.id }];
      let results: Array<PromiseSettledResult<unknown>> = [];
      const ran = await statementsOf(fixture.db, async () => {
        results = await Promise.allSettled(
          placed.map((order) => orders.insert(order, [event(order)])),
        );
      });
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      // Where statements are shared: the three in one, which stored two, then a look at the
      // order holding the third's id, which is not the third.
      if (ran) {
        expect(ran.map(({ name }) => name)).toEqual(['insert-orders', 'orders-held']);
        expect(ordersIn(ran.slice(0, 1), placed)).toEqual(['insert-orders:0,1,2']);
      }
      for (const order of placed.slice(0, 2)) {
        expect(await orders.findById(order.id)).toEqual(order);
      }
      expect(await orders.findById(stored.id)).toEqual(stored);
      await eventually(() =>
        Promise.resolve(
          expect(placed.slice(0, 2).map((o) => deliveredFor(o.id))).toEqual([
            ['order.created'],
            ['order.created'],
          ]),
        ),
      );
      expect(deliveredFor(stored.id)).toEqual([]);
    });

    for (const count of [3, 1]) {
      itOrSkip(
        `takes ${count} order(s) whose statement committed, but whose connection broke before its answer, as stored, each event queued once`,
        database === 'mongo' &&
          'one order per write on MongoDB, where the driver retries a write whose answer it lost (retryable writes, on a replica set)',
        async () => {
          const userId = randomUUID();
          const placed = Array.from({ length: count }, () => newOrder(userId));
          let results: Array<PromiseSettledResult<unknown>> = [];
          const ran = await losingFirstAnswerOf(
            fixture.db as ModuleDatabase,
            'insert-orders',
            async () => {
              results = await Promise.allSettled(
                placed.map((order) => orders.insert(order, [event(order)])),
              );
            },
          );
          // All in one, committed but unanswered, then each again on its own, finding itself
          // stored (a look at the order holding its id each time).
          const inserts = ran.filter(({ name }) => name === 'insert-orders');
          expect(ordersIn(inserts, placed)).toEqual([
            `insert-orders:${placed.map((_, i) => i).join(',')}`,
            ...placed.map((_, i) => `insert-orders:${i}`),
          ]);
          expect(ran.filter(({ name }) => name === 'orders-held')).toHaveLength(count);
          expect(results).toEqual(placed.map(() => ({ status: 'fulfilled', value: 'inserted' })));
          for (const order of placed) expect(await orders.findById(order.id)).toEqual(order);
          await eventually(() =>
            Promise.resolve(
              expect(placed.map((o) => deliveredFor(o.id))).toEqual(
                placed.map(() => ['order.created']),
              ),
            ),
          );
          expect((await fixture.relay.relayBatch()).claimed).toBe(0);
          expect(placed.map((o) => deliveredFor(o.id))).toEqual(
            placed.map(() => ['order.created']),
          );
        },
      );
    }

    it('relays the events written with each change, in order', async () => {
      const order = newOrder(randomUUID());
      await orders.insert(order, [event(order)]);
      const confirmed = await transition(order.id, 'pending', 'confirmed', [
        event(order, 'order.status-changed'),
      ]);
      expect(confirmed?.status).toBe('confirmed');
      await transition(order.id, 'confirmed', 'cancelled', [event(order, 'order.cancelled')]);
      await eventually(() =>
        Promise.resolve(
          expect(deliveredFor(order.id)).toEqual([
            'order.created',
            'order.status-changed',
            'order.cancelled',
          ]),
        ),
      );
    });

    it('lists a user’s orders newest first, page by page with a cursor, and by status', async () => {
      const userId = randomUUID();
      const base = Date.now() - 60_000;
      const created: Order[] = [];
      for (let i = 0; i < 7; i++) {
        // Two orders share each timestamp: the id breaks the tie.
        const order = newOrder(userId, new Date(base + Math.floor(i / 2) * 1000));
        await orders.insert(order, []);
        created.push(order);
      }
      await orders.insert(newOrder(randomUUID()), []); // someone else's
      const expected = [...created].sort(
        (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1),
      );
      const seen: Order[] = [];
      let cursor: { createdAt: Date; id: string } | undefined;
      for (;;) {
        const page = await orders.listByUser(userId, { limit: 3, cursor });
        seen.push(...page);
        if (page.length < 3) break;
        const last = page[page.length - 1];
        cursor = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen.map((o) => o.id)).toEqual(expected.map((o) => o.id));

      await transition(created[3].id, 'pending', 'confirmed');
      expect(
        (await orders.listByUser(userId, { limit: 10, status: 'confirmed' })).map((o) => o.id),
      ).toEqual([created[3].id]);
      expect(await orders.listByUser(userId, { limit: 10, status: 'pending' })).toHaveLength(6);
    });

    it('answers first pages of many users at once, each with its own orders in order', async () => {
      const users = [randomUUID(), randomUUID(), randomUUID()];
      const base = Date.now() - 60_000;
      const own = new Map<string, Order[]>();
      for (const [u, userId] of users.entries()) {
        const placed: Order[] = [];
        for (let i = 0; i < 2 + u; i++) {
          placed.push(newOrder(userId, new Date(base + i * 1000)));
          await orders.insert(placed[placed.length - 1], []);
        }
        own.set(userId, placed.reverse());
      }
      const [ada, grace, linus] = users;
      // Asked for in one turn, so read together: a repeat, other limits, and a user with none.
      const asked = [
        [ada, 10],
        [grace, 2],
        [ada, 10],
        [linus, 3],
        [linus, 1],
        [randomUUID(), 10],
      ] as const;
      let pages: Order[][] = [];
      const ran = await statementsOf(fixture.db, async () => {
        pages = await Promise.all(
          asked.map(([userId, limit]) => orders.listByUser(userId, { limit })),
        );
      });
      // One statement for them all, where statements are shared (not on MongoDB).
      if (ran) expect(ran.map((statement) => statement.name)).toEqual(['orders-by-users']);
      expect(pages).toEqual(
        asked.map(([userId, limit]) => (own.get(userId) ?? []).slice(0, limit)),
      );
    });

    it('changes status only from the expected one, and one of two racing changes wins', async () => {
      const order = newOrder(randomUUID());
      await orders.insert(order, []);
      expect(
        await transition(order.id, 'confirmed', 'shipped', [event(order, 'x')]),
      ).toBeUndefined();
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          transition(order.id, 'pending', 'cancelled', [event(order, 'order.cancelled')]),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await orders.findById(order.id))?.status).toBe('cancelled');
      await eventually(() =>
        Promise.resolve(expect(deliveredFor(order.id)).toEqual(['order.cancelled'])),
      );
    });

    const claim = (
      key: string,
      requestHash = 'hash-a',
      expiresAt = new Date(Date.now() + 60_000),
    ) => ({
      key,
      requestHash,
      expiresAt,
    });

    it("lets one order hold a user's Idempotency-Key: a second insert writes nothing", async () => {
      const userId = randomUUID();
      const key = claim(`key-${randomUUID()}`);
      const first = newOrder(userId);
      const second = newOrder(userId);
      expect(await orders.insert(first, [event(first)], key)).toBe('inserted');
      expect(await orders.insert(second, [event(second)], { ...key, requestHash: 'b' })).toBe(
        'key-taken',
      );
      expect(await orders.findById(second.id)).toBeUndefined();
      expect(await orders.findByIdempotencyKey(userId, key.key)).toEqual({
        order: first,
        claim: key,
      });
      // The same key belongs to each user separately.
      const other = newOrder(randomUUID());
      expect(await orders.insert(other, [], key)).toBe('inserted');
      await eventually(() =>
        Promise.resolve(expect(deliveredFor(first.id)).toEqual(['order.created'])),
      );
      expect(deliveredFor(second.id)).toEqual([]);
    });

    it('releases a key only from the order that holds it, and keeps the order', async () => {
      const userId = randomUUID();
      const key = claim(`key-${randomUUID()}`);
      const holder = newOrder(userId);
      await orders.insert(holder, [], key);
      await orders.releaseIdempotencyKey(randomUUID(), key.key); // not the holder: nothing
      expect((await orders.findByIdempotencyKey(userId, key.key))?.order.id).toBe(holder.id);
      await orders.releaseIdempotencyKey(holder.id, key.key);
      expect(await orders.findByIdempotencyKey(userId, key.key)).toBeUndefined();
      expect(await orders.findById(holder.id)).toEqual(holder);
      const next = newOrder(userId);
      expect(await orders.insert(next, [], key)).toBe('inserted');
    });

    it('keeps one order per user and Idempotency-Key, even when requests race', async () => {
      const userId = randomUUID();
      const idempotent = new IdempotentInsert(orders);
      const request = { key: `key-${randomUUID()}`, requestHash: 'hash-a', now: new Date() };
      const attempts = Array.from({ length: 5 }, () => newOrder(userId));
      const results = await Promise.all(
        attempts.map((o) => idempotent.insert(o, [event(o)], request)),
      );
      const created = results.filter((r) => !r.replayed);
      expect(created).toHaveLength(1);
      for (const r of results) expect(r.order.id).toBe(created[0].order.id);
      expect(await orders.listByUser(userId, { limit: 10 })).toHaveLength(1);
      await expect(
        idempotent.insert(newOrder(userId), [], { ...request, requestHash: 'hash-b' }),
      ).rejects.toBeInstanceOf(IdempotencyKeyReused);
      await eventually(() =>
        Promise.resolve(expect(deliveredFor(created[0].order.id)).toEqual(['order.created'])),
      );
      for (const loser of attempts.filter((o) => o.id !== created[0].order.id)) {
        expect(deliveredFor(loser.id)).toEqual([]);
      }
    });

    it("judges a key's 24 h on the use case's clock: after it, a new order takes the key", async () => {
      const userId = randomUUID();
      const idempotent = new IdempotentInsert(orders);
      const t0 = new Date(Date.now() - 2 * IDEMPOTENCY_TTL_MS);
      const request = { key: `key-${randomUUID()}`, requestHash: 'hash-a', now: t0 };
      const first = await idempotent.insert(newOrder(userId, t0), [], request);
      const almost = new Date(t0.getTime() + IDEMPOTENCY_TTL_MS - 1);
      const replay = await idempotent.insert(newOrder(userId), [], { ...request, now: almost });
      expect(replay).toEqual({ order: first.order, replayed: true });
      const later = new Date(t0.getTime() + IDEMPOTENCY_TTL_MS);
      const fresh = await idempotent.insert(newOrder(userId, later), [], {
        ...request,
        requestHash: 'another body',
        now: later,
      });
      expect(fresh.replayed).toBe(false);
      expect(fresh.order.id).not.toBe(first.order.id);
      expect(await orders.findById(first.order.id)).toEqual(first.order);
      expect((await orders.findByIdempotencyKey(userId, request.key))?.order.id).toBe(
        fresh.order.id,
      );
    });

    it('cancels every open order of a user once per event, with one event each', async () => {
      const userId = randomUUID();
      const pending = newOrder(userId);
      const confirmed = newOrder(userId);
      const shipped = newOrder(userId);
      for (const o of [pending, confirmed, shipped]) await orders.insert(o, []);
      await transition(confirmed.id, 'pending', 'confirmed');
      await transition(shipped.id, 'pending', 'confirmed');
      await transition(shipped.id, 'confirmed', 'shipped');
      const inbox = { handler: 'order.cancel-on-user-deleted', eventId: randomUUID() };
      const eventFor = (o: Order): BusEvent => event(o, `order.cancelled-from-${o.status}`);
      const cancelOpen = () =>
        orders.cancelAll({
          userId,
          from: ['pending', 'confirmed'],
          at: new Date(),
          inbox,
          eventFor,
        });

      expect(await cancelOpen()).toBe(2);
      // Redelivered: nothing changes, nothing is queued.
      expect(await cancelOpen()).toBe(0);
      const statuses = Object.fromEntries(
        (await orders.listByUser(userId, { limit: 10 })).map((o) => [o.id, o.status]),
      );
      expect(statuses).toEqual({
        [pending.id]: 'cancelled',
        [confirmed.id]: 'cancelled',
        [shipped.id]: 'shipped',
      });
      await eventually(() =>
        Promise.resolve(
          expect([...deliveredFor(pending.id), ...deliveredFor(confirmed.id)].sort()).toEqual([
            'order.cancelled-from-confirmed',
            'order.cancelled-from-pending',
          ]),
        ),
      );
      expect(deliveredFor(shipped.id)).toEqual([]);
    });

    it('cancels each open order once when redeliveries race, and finishes what an earlier call left', async () => {
      const userId = randomUUID();
      const open = Array.from({ length: 4 }, () => newOrder(userId));
      for (const o of open) await orders.insert(o, []);
      // As if an earlier delivery died after cancelling the first order only.
      await transition(open[0].id, 'pending', 'cancelled', [event(open[0], 'order.cancelled')]);
      const inbox = { handler: 'order.cancel-on-user-deleted', eventId: randomUUID() };
      const counts = await Promise.all(
        Array.from({ length: 3 }, () =>
          orders.cancelAll({
            userId,
            from: ['pending'],
            at: new Date(),
            inbox,
            eventFor: (o) => event(o, 'order.cancelled'),
          }),
        ),
      );
      expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
      for (const o of open) expect((await orders.findById(o.id))?.status).toBe('cancelled');
      await eventually(() =>
        Promise.resolve(
          expect(open.map((o) => deliveredFor(o.id))).toEqual(open.map(() => ['order.cancelled'])),
        ),
      );
    });

    it('says which accounts have a tombstone, for checks asked for one by one or together', async () => {
      const view = openAccountView(fixture.db);
      const [kept, deleted, unknown] = [randomUUID(), randomUUID(), randomUUID()];
      await view.record(kept, { version: 1, deleted: false });
      await view.record(deleted, { version: 1, deleted: true });
      expect(await view.isDeleted(deleted)).toBe(true);
      expect(await view.isDeleted(kept)).toBe(false);
      // Asked for in one turn, so read together: a repeat and an unknown account among them.
      const asked = [deleted, kept, deleted, unknown, 'not-a-uuid'];
      let answers: boolean[] = [];
      const ran = await statementsOf(fixture.db, async () => {
        answers = await Promise.all(asked.map((id) => view.isDeleted(id)));
      });
      if (ran) expect(ran.map((statement) => statement.name)).toEqual(['account-views-deleted']);
      expect(answers).toEqual([true, false, true, false, false]);
      // A tombstone is final: a later, newer state does not bring the account back.
      expect(await view.record(deleted, { version: 2, deleted: false })).toBe(false);
      expect(await view.isDeleted(deleted)).toBe(true);
    });

    it('answers a ping while its server is up', async () => {
      await expect(orders.ping()).resolves.toBeUndefined();
    });
  });
}

/** Each statement's name with the orders it carried, by their index in `placed`. */
function ordersIn(ran: Array<{ name: string; values: unknown[] }>, placed: Order[]): string[] {
  return ran.map(({ name, values }) => {
    const given = JSON.parse(String(values[0])) as Array<{ id: string }>;
    return `${name}:${given.map((order) => placed.findIndex((p) => p.id === order.id)).join(',')}`;
  });
}
