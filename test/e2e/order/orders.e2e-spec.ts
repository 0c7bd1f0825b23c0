import { describe, expect, it } from '@jest/globals';
import { useTestApp } from '../../support/app';
import {
  Account,
  cancelOrder,
  createOrder,
  expectFieldError,
  expectListQueries,
  expectMalformedIdRefused,
  expectProblem,
  httpFor,
  ISO_UTC_PATTERN,
  OrderItemInput,
  OrderJson,
  orderBody,
  orderStatus,
  orderWithStatus,
  setOrderStatus,
  signUpAndLogin,
  useAccount,
  useAdmin,
  UUID_PATTERN,
  walkPages,
} from '../../support/api';
import { shapeTargets } from '../../support/services';

interface Page {
  items: OrderJson[];
  nextCursor: string | null;
}

const item = (overrides: Partial<OrderItemInput> = {}): OrderItemInput => ({
  sku: 'SKU-1',
  name: 'Widget',
  quantity: 1,
  unitPriceCents: 100,
  ...overrides,
});

/** Newest first: by createdAt, then id, both descending. */
const newestFirst = (orders: OrderJson[]): OrderJson[] =>
  [...orders].sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1),
  );

let keyCounter = 0;
const newKey = () => `key-${process.pid}-${Date.now()}-${++keyCounter}`;

for (const store of shapeTargets()) {
  describe(`orders on ${store}`, () => {
    const app = useTestApp({ store });
    const admin = useAdmin(app);
    const http = httpFor(app);
    const post = (account: Account, body: unknown) =>
      http(account)
        .post('/api/orders')
        .send(body as object);
    const listAll = async (account: Account) =>
      (await walkPages<OrderJson>(app, '/api/orders', account, 100)).items;

    describe('POST /api/orders', () => {
      const account = useAccount(app);

      it('creates a pending order with 201, the order shape and the exact total', async () => {
        const body = orderBody({
          items: [
            item({ sku: 'A-1', name: 'Apple', quantity: 3, unitPriceCents: 199 }),
            item({ sku: 'b_2', quantity: 2, unitPriceCents: 0 }),
          ],
          currency: 'USD',
        });
        const res = await post(account, body);
        expect(res.status).toBe(201);
        const order = res.body as OrderJson;
        expect(Object.keys(order).sort()).toEqual(
          [
            'createdAt',
            'currency',
            'id',
            'items',
            'status',
            'totalCents',
            'updatedAt',
            'userId',
          ].sort(),
        );
        expect(order).toMatchObject({
          userId: account.id,
          status: 'pending',
          currency: 'USD',
          totalCents: 597,
          items: body.items,
        });
        expect(order.id).toMatch(UUID_PATTERN);
        expect(order.createdAt).toMatch(ISO_UTC_PATTERN);
        expect(order.updatedAt).toMatch(ISO_UTC_PATTERN);
        expect(res.headers['idempotent-replayed']).toBeUndefined();
        const read = await http(account).get(`/api/orders/${order.id}`).expect(200);
        expect(read.body).toEqual(order);
      });

      it('totals exactly at the largest allowed values (100 × 1000 × 100000000 = 10^13)', async () => {
        const items = Array.from({ length: 100 }, (_, i) =>
          item({ sku: `S${i}`, quantity: 1000, unitPriceCents: 100_000_000 }),
        );
        const order = await createOrder(app, account, orderBody({ items }));
        expect(order.totalCents).toBe(10_000_000_000_000);
        expect(Number.isInteger(order.totalCents)).toBe(true);
        const read = await http(account).get(`/api/orders/${order.id}`).expect(200);
        expect((read.body as OrderJson).totalCents).toBe(10_000_000_000_000);
        expect(rawJsonHasExactTotal(read.text)).toBe(true);
      });

      it('accepts every boundary value', async () => {
        const order = await createOrder(
          app,
          account,
          orderBody({
            items: [
              item({
                sku: 'x'.repeat(64),
                name: 'n'.repeat(200),
                quantity: 1000,
                unitPriceCents: 100_000_000,
              }),
              item({ sku: 'A', name: 'n', quantity: 1, unitPriceCents: 0 }),
              item({ sku: 'az_AZ-09', name: 'ünïcødé ✓' }),
            ],
            currency: 'JPY',
          }),
        );
        expect(order.totalCents).toBe(100_000_000_000 + 0 + 100);
      });

      const invalid: Array<[string, unknown, string]> = [
        ['no items', orderBody({ items: [] }), 'items'],
        [
          '101 items',
          orderBody({ items: Array.from({ length: 101 }, (_, i) => item({ sku: `S${i}` })) }),
          'items',
        ],
        ['items that are not an array', { items: item(), currency: 'EUR' }, 'items'],
        ['missing items', { currency: 'EUR' }, 'items'],
        ['an empty sku', orderBody({ items: [item({ sku: '' })] }), 'items[0].sku'],
        [
          'a 65-character sku',
          orderBody({ items: [item({ sku: 'x'.repeat(65) })] }),
          'items[0].sku',
        ],
        ['a sku with a space', orderBody({ items: [item({ sku: 'A B' })] }), 'items[0].sku'],
        ['a sku with a dot', orderBody({ items: [item({ sku: 'A.B' })] }), 'items[0].sku'],
        [
          'a sku with a non-ASCII letter',
          orderBody({ items: [item({ sku: 'Ä1' })] }),
          'items[0].sku',
        ],
        ['an empty name', orderBody({ items: [item({ name: '' })] }), 'items[0].name'],
        [
          'a 201-character name',
          orderBody({ items: [item({ name: 'n'.repeat(201) })] }),
          'items[0].name',
        ],
        ['quantity 0', orderBody({ items: [item({ quantity: 0 })] }), 'items[0].quantity'],
        ['quantity 1001', orderBody({ items: [item({ quantity: 1001 })] }), 'items[0].quantity'],
        ['quantity 1.5', orderBody({ items: [item({ quantity: 1.5 })] }), 'items[0].quantity'],
        [
          'quantity as a string',
          orderBody({ items: [{ ...item(), quantity: '1' as unknown as number }] }),
          'items[0].quantity',
        ],
        [
          'unitPriceCents -1',
          orderBody({ items: [item({ unitPriceCents: -1 })] }),
          'items[0].unitPriceCents',
        ],
        [
          'unitPriceCents 100000001',
          orderBody({ items: [item({ unitPriceCents: 100_000_001 })] }),
          'items[0].unitPriceCents',
        ],
        [
          'unitPriceCents 1.5',
          orderBody({ items: [item({ unitPriceCents: 1.5 })] }),
          'items[0].unitPriceCents',
        ],
        [
          'a second item with quantity 0',
          orderBody({ items: [item(), item({ quantity: 0 })] }),
          'items[1].quantity',
        ],
        ['currency eur', orderBody({ currency: 'eur' }), 'currency'],
        ['currency EURO', orderBody({ currency: 'EURO' }), 'currency'],
        ['currency EU', orderBody({ currency: 'EU' }), 'currency'],
        ['a missing currency', { items: [item()] }, 'currency'],
        ['an unknown top-level field', { ...orderBody(), totalCents: 1 }, 'totalCents'],
        ['a status in the body', { ...orderBody(), status: 'delivered' }, 'status'],
        [
          'an unknown item field',
          orderBody({ items: [{ ...item(), discount: 5 } as OrderItemInput] }),
          'items[0].discount',
        ],
        ['an item that is not an object', { items: ['SKU-1'], currency: 'EUR' }, 'items[0]'],
      ];
      // The body is validated at the edge, before any store is asked, by the same code in
      // every shape: the table runs once, on embedded PGlite. That an invalid body changes no
      // store is checked in every shape (below).
      if (store === 'pglite') {
        for (const [what, body, field] of invalid) {
          it(`rejects ${what} with 400 naming ${field}`, async () => {
            expectFieldError(await post(account, body), field);
          });
        }
      }

      it('creates nothing for an invalid body', async () => {
        const fresh = await signUpAndLogin(app);
        expectProblem(await post(fresh, orderBody({ items: [item({ quantity: 0 })] })), 400);
        expect(await listAll(fresh)).toEqual([]);
      });

      it('answers 401 without a token or with a garbage token', async () => {
        expectProblem(await http().post('/api/orders').send(orderBody()), 401);
        expectProblem(
          await http().post('/api/orders').set('authorization', 'Bearer a.b.c').send(orderBody()),
          401,
        );
      });

      it('answers 401 to a deleted account', async () => {
        const gone = await signUpAndLogin(app);
        await http(gone).delete('/api/users/me').expect(204);
        expectProblem(await post(gone, orderBody()), 401);
      });
    });

    describe('GET /api/orders', () => {
      it("lists the caller's own orders only, newest first", async () => {
        const a = await signUpAndLogin(app);
        const b = await signUpAndLogin(app);
        const mine = [
          await createOrder(app, a),
          await createOrder(app, a),
          await createOrder(app, a),
        ];
        await createOrder(app, b);
        const res = await http(a).get('/api/orders').expect(200);
        const page = res.body as Page;
        expect(page.nextCursor).toBeNull();
        expect(page.items.map((o) => o.id)).toEqual(newestFirst(mine).map((o) => o.id));
        expect(page.items.every((o) => o.userId === a.id)).toBe(true);
        // Admins list their own orders here too.
        const adminPage = (await http(admin).get('/api/orders').expect(200)).body as Page;
        expect(adminPage.items.every((o) => o.userId === admin.id)).toBe(true);
      });

      it('filters by status and rejects an unknown status with 400', async () => {
        const a = await signUpAndLogin(app);
        const pending = await orderWithStatus(app, a, admin, 'pending');
        const confirmed = await orderWithStatus(app, a, admin, 'confirmed');
        const cancelled = await orderWithStatus(app, a, admin, 'cancelled');
        const ids = async (status: string) =>
          ((await http(a).get(`/api/orders?status=${status}`).expect(200)).body as Page).items.map(
            (o) => o.id,
          );
        expect(await ids('pending')).toEqual([pending.id]);
        expect(await ids('confirmed')).toEqual([confirmed.id]);
        expect(await ids('cancelled')).toEqual([cancelled.id]);
        expect(await ids('delivered')).toEqual([]);
        expectProblem(await http(a).get('/api/orders?status=lost'), 400);
        expectProblem(await http(a).get('/api/orders?status=PENDING'), 400);
      });

      it('defaults to 20 per page and pages newest first, stable under inserts', async () => {
        const a = await signUpAndLogin(app);
        const original: OrderJson[] = [];
        for (let i = 0; i < 23; i++)
          original.push(
            await createOrder(app, a, orderBody({ items: [item({ quantity: i + 1 })] })),
          );
        const expected = newestFirst(original).map((o) => o.id);

        const first = (await http(a).get('/api/orders').expect(200)).body as Page;
        expect(first.items).toHaveLength(20);
        expect(first.items.map((o) => o.id)).toEqual(expected.slice(0, 20));
        expect(typeof first.nextCursor).toBe('string');

        const page1 = (await http(a).get('/api/orders?limit=5').expect(200)).body as Page;
        expect(page1.items.map((o) => o.id)).toEqual(expected.slice(0, 5));
        // New orders arrive between pages.
        const inserted = [await createOrder(app, a), await createOrder(app, a)];
        const seen = [...page1.items.map((o) => o.id)];
        let cursor = page1.nextCursor;
        while (cursor !== null) {
          const page = (
            await http(a)
              .get(`/api/orders?limit=5&cursor=${encodeURIComponent(cursor)}`)
              .expect(200)
          ).body as Page;
          seen.push(...page.items.map((o) => o.id));
          cursor = page.nextCursor;
        }
        expect(seen).toEqual(expected);
        for (const o of inserted) expect(seen).not.toContain(o.id);
        // A fresh walk sees everything once.
        const all = (await walkPages<OrderJson>(app, '/api/orders', a, 7)).items.map((o) => o.id);
        expect(all).toEqual(newestFirst([...original, ...inserted]).map((o) => o.id));
      });

      it('rejects limit 0, 101, abc, -1 and a bad cursor with 400, and no token with 401', async () => {
        const a = await signUpAndLogin(app);
        await expectListQueries(app, '/api/orders', a, [
          'limit=0',
          'limit=101',
          'limit=abc',
          'limit=-1',
          'limit=2.5',
          'cursor=garbage',
          `cursor=${'x'.repeat(300)}`,
          'unknown=1',
        ]);
        expectProblem(await http().get('/api/orders'), 401);
      });
    });

    describe('GET /api/orders/{id}', () => {
      it('shows the order to its owner and an admin, 404 to anyone else', async () => {
        const owner = await signUpAndLogin(app);
        const other = await signUpAndLogin(app);
        const order = await createOrder(app, owner);
        expect((await http(owner).get(`/api/orders/${order.id}`).expect(200)).body).toEqual(order);
        expect((await http(admin).get(`/api/orders/${order.id}`).expect(200)).body).toEqual(order);
        const hidden = await http(other).get(`/api/orders/${order.id}`);
        expectProblem(hidden, 404);
        const unknown = await http(other).get('/api/orders/00000000-0000-4000-8000-000000000000');
        expectProblem(unknown, 404);
        expect((unknown.body as { detail: string }).detail).toBe(
          (hidden.body as { detail: string }).detail,
        );
        expectProblem(await http().get(`/api/orders/${order.id}`), 401);
      });

      it('answers 400 or 404 for a malformed id', async () => {
        const owner = await signUpAndLogin(app);
        for (const id of ['nope', '1', '00000000-0000-4000-8000-00000000000Z'])
          expectMalformedIdRefused(await http(owner).get(`/api/orders/${id}`));
      });
    });

    describe('POST /api/orders/{id}/cancel', () => {
      it('cancels pending and confirmed orders with 200, by the owner or an admin', async () => {
        const owner = await signUpAndLogin(app);
        const pending = await createOrder(app, owner);
        const cancelled = await cancelOrder(app, owner, pending.id);
        expect(cancelled).toMatchObject({
          id: pending.id,
          status: 'cancelled',
          totalCents: pending.totalCents,
        });
        expect(Date.parse(cancelled.updatedAt)).toBeGreaterThanOrEqual(
          Date.parse(pending.updatedAt),
        );
        const confirmed = await orderWithStatus(app, owner, admin, 'confirmed');
        await cancelOrder(app, owner, confirmed.id);
        const byAdmin = await createOrder(app, owner);
        expect((await cancelOrder(app, admin, byAdmin.id)).status).toBe('cancelled');
        expect(await orderStatus(app, owner, confirmed.id)).toBe('cancelled');
      });

      it('answers 409 for shipped, delivered and cancelled orders and leaves them unchanged', async () => {
        const owner = await signUpAndLogin(app);
        const shipped = await orderWithStatus(app, owner, admin, 'shipped');
        const delivered = await orderWithStatus(app, owner, admin, 'delivered');
        const cancelled = await orderWithStatus(app, owner, admin, 'cancelled');
        for (const [order, status] of [
          [shipped, 'shipped'],
          [delivered, 'delivered'],
          [cancelled, 'cancelled'],
        ] as const) {
          expectProblem(await http(owner).post(`/api/orders/${order.id}/cancel`), 409);
          expectProblem(await http(admin).post(`/api/orders/${order.id}/cancel`), 409);
          expect(await orderStatus(app, owner, order.id)).toBe(status);
        }
      });

      it("answers 404 for another user's order and leaves it pending", async () => {
        const owner = await signUpAndLogin(app);
        const other = await signUpAndLogin(app);
        const order = await createOrder(app, owner);
        expectProblem(await http(other).post(`/api/orders/${order.id}/cancel`), 404);
        expectProblem(
          await http(other).post('/api/orders/00000000-0000-4000-8000-000000000000/cancel'),
          404,
        );
        expectProblem(await http().post(`/api/orders/${order.id}/cancel`), 401);
        expect(await orderStatus(app, owner, order.id)).toBe('pending');
      });
    });

    describe('PATCH /api/orders/{id}/status', () => {
      it('moves an order pending → confirmed → shipped → delivered, one step at a time', async () => {
        const owner = await signUpAndLogin(app);
        const order = await createOrder(app, owner);
        for (const status of ['confirmed', 'shipped', 'delivered']) {
          const changed = await setOrderStatus(app, admin, order.id, status);
          expect(changed).toMatchObject({ id: order.id, status, userId: owner.id });
        }
        expect(await orderStatus(app, owner, order.id)).toBe('delivered');
        // Nothing follows delivered.
        for (const status of ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled']) {
          expectProblem(
            await http(admin).patch(`/api/orders/${order.id}/status`).send({ status }),
            409,
          );
        }
      });

      it('answers 409 for skipping a step, going backwards, staying put or cancelling through it', async () => {
        const owner = await signUpAndLogin(app);
        const order = await createOrder(app, owner);
        const patch = (status: string) =>
          http(admin).patch(`/api/orders/${order.id}/status`).send({ status });
        expectProblem(await patch('shipped'), 409);
        expectProblem(await patch('delivered'), 409);
        expectProblem(await patch('pending'), 409);
        expectProblem(await patch('cancelled'), 409);
        await setOrderStatus(app, admin, order.id, 'confirmed');
        expectProblem(await patch('pending'), 409);
        expectProblem(await patch('delivered'), 409);
        await setOrderStatus(app, admin, order.id, 'shipped');
        expectProblem(await patch('confirmed'), 409);
        const cancelled = await orderWithStatus(app, owner, admin, 'cancelled');
        expectProblem(
          await http(admin)
            .patch(`/api/orders/${cancelled.id}/status`)
            .send({ status: 'confirmed' }),
          409,
        );
        expect(await orderStatus(app, owner, order.id)).toBe('shipped');
      });

      it('answers 403 to a non-admin, even the owner, and 401 without a token', async () => {
        const owner = await signUpAndLogin(app);
        const order = await createOrder(app, owner);
        expectProblem(
          await http(owner).patch(`/api/orders/${order.id}/status`).send({ status: 'confirmed' }),
          403,
        );
        expectProblem(
          await http().patch(`/api/orders/${order.id}/status`).send({ status: 'confirmed' }),
          401,
        );
        expect(await orderStatus(app, owner, order.id)).toBe('pending');
      });

      it('answers 400 for an unknown or missing status and 404 for an unknown order', async () => {
        const owner = await signUpAndLogin(app);
        const order = await createOrder(app, owner);
        for (const body of [
          { status: 'lost' },
          { status: 'CONFIRMED' },
          {},
          { status: 'confirmed', extra: 1 },
        ]) {
          expectProblem(await http(admin).patch(`/api/orders/${order.id}/status`).send(body), 400);
        }
        expectProblem(
          await http(admin)
            .patch('/api/orders/00000000-0000-4000-8000-000000000000/status')
            .send({ status: 'confirmed' }),
          404,
        );
      });
    });

    describe('Idempotency-Key', () => {
      it('replays the first response for the same key and body, with Idempotent-Replayed: true, creating nothing', async () => {
        const a = await signUpAndLogin(app);
        const key = newKey();
        const first = await post(a, orderBody()).set('idempotency-key', key).expect(201);
        expect(first.headers['idempotent-replayed']).toBeUndefined();
        const again = await post(a, orderBody()).set('idempotency-key', key).expect(201);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body).toEqual(first.body);
        const orders = await listAll(a);
        expect(orders.map((o) => o.id)).toEqual([(first.body as OrderJson).id]);
      });

      it('answers 422 for the same key with a different body and creates nothing', async () => {
        const a = await signUpAndLogin(app);
        const key = newKey();
        const first = await post(a, orderBody()).set('idempotency-key', key).expect(201);
        const different = orderBody({ items: [item({ quantity: 5 })] });
        expectProblem(await post(a, different).set('idempotency-key', key), 422);
        expectProblem(
          await post(a, orderBody({ currency: 'USD' })).set('idempotency-key', key),
          422,
        );
        expect((await listAll(a)).map((o) => o.id)).toEqual([(first.body as OrderJson).id]);
      });

      it('creates exactly one order for 10 concurrent requests with one key', async () => {
        const a = await signUpAndLogin(app);
        const key = newKey();
        const responses = await Promise.all(
          Array.from({ length: 10 }, () => post(a, orderBody()).set('idempotency-key', key)),
        );
        expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
        const ids = new Set(responses.map((r) => (r.body as OrderJson).id));
        expect(ids.size).toBe(1);
        expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(
          9,
        );
        expect((await listAll(a)).map((o) => o.id)).toEqual([...ids]);
      });

      it('keeps keys per user: the same key from another user creates a separate order', async () => {
        const a = await signUpAndLogin(app);
        const b = await signUpAndLogin(app);
        const key = newKey();
        const fromA = await post(a, orderBody()).set('idempotency-key', key).expect(201);
        const fromB = await post(b, orderBody()).set('idempotency-key', key).expect(201);
        expect(fromB.headers['idempotent-replayed']).toBeUndefined();
        expect((fromB.body as OrderJson).id).not.toBe((fromA.body as OrderJson).id);
        expect((fromB.body as OrderJson).userId).toBe(b.id);
        expect((await listAll(b)).map((o) => o.id)).toEqual([(fromB.body as OrderJson).id]);
      });

      it('creates a new order for each request without a key, and for a different key', async () => {
        const a = await signUpAndLogin(app);
        await post(a, orderBody()).expect(201);
        await post(a, orderBody()).expect(201);
        await post(a, orderBody()).set('idempotency-key', newKey()).expect(201);
        await post(a, orderBody()).set('idempotency-key', newKey()).expect(201);
        expect(await listAll(a)).toHaveLength(4);
      });

      it('rejects a malformed key with 400', async () => {
        const a = await signUpAndLogin(app);
        expectProblem(await post(a, orderBody()).set('idempotency-key', 'k'.repeat(256)), 400);
        expectProblem(await post(a, orderBody()).set('idempotency-key', 'has space'), 400);
        expect(await listAll(a)).toEqual([]);
      });
    });
  });
}

/** No float rendering of the big total (e.g. `1e+13`) in the raw JSON. */
function rawJsonHasExactTotal(text: string): boolean {
  return !/e\+\d/.test(text) && text.includes('10000000000000');
}
