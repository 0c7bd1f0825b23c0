import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestApp, TestApp } from '../../support/app';
import {
  Account,
  bearer,
  createOrder,
  expectProblem,
  ISO_UTC_PATTERN,
  orderBody,
  signUpAndLogin,
  uniqueEmail,
  UUID_PATTERN,
} from '../../support/api';
import { checkedRawRequest } from '../../support/conformance';
import { routes } from '../../support/openapi';
import { shapeTargets } from '../../support/services';

/** Every route of API.md, as OpenAPI writes it. */
const CONTRACT_ROUTES = [
  'post /api/users',
  'get /api/users/me',
  'patch /api/users/me',
  'post /api/users/me/password',
  'delete /api/users/me',
  'get /api/users/{id}',
  'get /api/users',
  'post /api/auth/login',
  'post /api/auth/refresh',
  'post /api/auth/logout',
  'get /api/auth/jwks',
  'post /api/orders',
  'get /api/orders',
  'get /api/orders/{id}',
  'post /api/orders/{id}/cancel',
  'patch /api/orders/{id}/status',
].sort();

const ONE_MIB = 1024 * 1024;

for (const store of shapeTargets()) {
  describe(`http rules on ${store}`, () => {
    let app: TestApp;
    let account: Account;

    beforeAll(async () => {
      app = await startTestApp({ store });
      account = await signUpAndLogin(app);
    });
    afterAll(() => app?.close());

    const http = () => request(app.url);

    describe('errors', () => {
      it('answers problem+json with type, title, status and detail for 400, 401, 403, 404 and 409', async () => {
        expectProblem(await http().post('/api/users').send({}), 400);
        expectProblem(await http().get('/api/users/me'), 401);
        expectProblem(
          await http()
            .get('/api/users')
            .set(...bearer(account)),
          403,
        );
        expectProblem(
          await http()
            .get('/api/orders/00000000-0000-4000-8000-000000000000')
            .set(...bearer(account)),
          404,
        );
        expectProblem(
          await http()
            .post('/api/users')
            .send({ email: account.email, password: 'correct-horse-1', name: 'x' }),
          409,
        );
      });

      it('adds errors[] with field and message to validation problems', async () => {
        const res = await http()
          .post('/api/orders')
          .set(...bearer(account))
          .send(orderBody({ items: [{ sku: 'A', name: 'n', quantity: 0, unitPriceCents: 1 }] }));
        expectProblem(res, 400);
        expect((res.body as { errors: unknown[] }).errors).toEqual(
          expect.arrayContaining([{ field: 'items[0].quantity', message: expect.any(String) }]),
        );
      });

      it('refuses a query parameter the route does not know with 400 naming it, as an unknown body field', async () => {
        const me = await http()
          .get('/api/users/me?limit=5&x=1')
          .set(...bearer(account));
        expectProblem(me, 400);
        expect((me.body as { errors: unknown[] }).errors).toEqual([
          { field: 'limit', message: 'is not an allowed field' },
          { field: 'x', message: 'is not an allowed field' },
        ]);
        const list = await http()
          .get('/api/orders?limit=5&x=1')
          .set(...bearer(account));
        expectProblem(list, 400);
        expect((list.body as { errors: unknown[] }).errors).toEqual([
          { field: 'x', message: 'is not an allowed field' },
        ]);
        // What the route knows still works, and the probes ignore a query string.
        await http()
          .get('/api/orders?limit=5')
          .set(...bearer(account))
          .expect(200);
        await http().get('/health?probe=1').expect(200);
      });

      it('answers an unknown route with 404 problem+json', async () => {
        for (const path of ['/api/nothing-here', '/nothing-here', '/api/users/me/extra/deep']) {
          expectProblem(await http().get(path), 404);
        }
        expectProblem(await http().post('/api/nothing-here').send({}), 404);
      });

      it('answers malformed JSON with 400, never 500', async () => {
        for (const body of ['{"email":', '{email: 1}', 'not json at all', '[1,2']) {
          const res = await http()
            .post('/api/users')
            .set('content-type', 'application/json')
            .send(body);
          expectProblem(res, 400);
        }
        const authed = await http()
          .post('/api/orders')
          .set(...bearer(account))
          .set('content-type', 'application/json')
          .send('{"items":[');
        expectProblem(authed, 400);
      });

      it('answers a JSON body that is not an object with 400', async () => {
        for (const body of ['null', '42', '"text"']) {
          const res = await http()
            .post('/api/users')
            .set('content-type', 'application/json')
            .send(body);
          expectProblem(res, 400);
        }
      });

      it('answers a body that is not JSON with 400 or 415, never 500', async () => {
        const res = await http().post('/api/users').set('content-type', 'text/plain').send('hello');
        expect([400, 415]).toContain(res.status);
        expectProblem(res, res.status);
      });

      it('answers 413 on every operation of openapi.json that takes a body, 414, 415 and 431 on every one', async () => {
        const big = JSON.stringify({ padding: 'x'.repeat(ONE_MIB) });
        for (const route of routes()) {
          const template = route.path;
          const path = template.replace('{id}', randomUUID());
          const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
          if (method !== 'get') {
            const client = http();
            const res = await client[method](path)
              .set(...bearer(account))
              .set('content-type', 'application/json')
              .send(big);
            expect([method, template, res.status]).toEqual([method, template, 413]);
            expectProblem(res, 413);
          }
          const huge = await checkedRawRequest(
            app,
            `${method.toUpperCase()} ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
          );
          expect([method, template, huge.status]).toEqual([method, template, 431]);
          const long = await checkedRawRequest(
            app,
            `${method.toUpperCase()} ${path}?q=${'a'.repeat(4096)} HTTP/1.1\r\nHost: x\r\n\r\n`,
          );
          expect([method, template, long.status]).toEqual([method, template, 414]);
          const badType = await checkedRawRequest(
            app,
            `${method.toUpperCase()} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${account.accessToken}\r\nContent-Type: application/json;;;\r\nContent-Length: 2\r\n\r\n{}`,
          );
          expect([method, template, badType.status]).toEqual([method, template, 415]);
        }
      });

      it('answers a body over 1 MiB with 413, never 500', async () => {
        const big = JSON.stringify({
          email: uniqueEmail(),
          password: 'correct-horse-1',
          name: 'x'.repeat(ONE_MIB + 10),
        });
        const res = await http()
          .post('/api/users')
          .set('content-type', 'application/json')
          .send(big);
        expectProblem(res, 413);
        const authed = await http()
          .post('/api/orders')
          .set(...bearer(account))
          .set('content-type', 'application/json')
          .send(JSON.stringify({ ...orderBody(), padding: 'x'.repeat(ONE_MIB) }));
        expectProblem(authed, 413);
        // Just under the limit is parsed (and then refused by validation, not by size).
        const under = JSON.stringify({
          email: uniqueEmail(),
          password: 'correct-horse-1',
          name: 'x'.repeat(ONE_MIB - 200),
        });
        expectProblem(
          await http().post('/api/users').set('content-type', 'application/json').send(under),
          400,
        );
      });
    });

    describe('x-request-id', () => {
      it('echoes a sane incoming id on success and on errors', async () => {
        for (const [method, path] of [
          ['get', '/health'],
          ['get', '/api/users/me'],
          ['get', '/api/nothing-here'],
        ] as const) {
          const res = await http()[method](path).set('x-request-id', 'abc-123_X.y:z');
          expect(res.headers['x-request-id']).toBe('abc-123_X.y:z');
        }
        const bad = await http()
          .post('/api/users')
          .set('x-request-id', 'req-400')
          .set('content-type', 'application/json')
          .send('{');
        expect(bad.status).toBe(400);
        expect(bad.headers['x-request-id']).toBe('req-400');
      });

      it('replaces an insane incoming id with a new one', async () => {
        for (const insane of ['x'.repeat(300), 'has spaces in it', 'semi;colon', '<script>']) {
          const res = await http().get('/health').set('x-request-id', insane);
          const id = res.headers['x-request-id'];
          expect(typeof id).toBe('string');
          expect(id).not.toBe(insane);
          expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
        }
      });

      it('sets a fresh, distinct id on every response without one, including errors and 413', async () => {
        const responses = [
          await http().get('/health'),
          await http().get('/api/users/me'),
          await http().get('/api/nothing-here'),
          await http().post('/api/users').send({}),
          await http()
            .post('/api/users')
            .set('content-type', 'application/json')
            .send(JSON.stringify({ name: 'x'.repeat(ONE_MIB + 1) })),
        ];
        const ids = responses.map((r) => r.headers['x-request-id']);
        for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
        expect(new Set(ids).size).toBe(ids.length);
      });
    });

    describe('headers', () => {
      it("sends a JSON API's security headers and no x-powered-by, on success and errors", async () => {
        for (const res of [
          await http().get('/health'),
          await http()
            .get('/api/users/me')
            .set(...bearer(account)),
          await http().get('/api/users/me'),
          await http().get('/api/nothing-here'),
          await http().post('/api/users').set('content-type', 'application/json').send('{'),
          // Refused before Fastify, written raw (414).
          await http()
            .get(`/api/users?q=${'a'.repeat(4096)}`)
            .expect(414),
        ]) {
          expect(res.headers['cache-control']).toBe('no-store');
          expect(res.headers['x-content-type-options']).toBe('nosniff');
          expect(res.headers['x-frame-options']).toBe('DENY');
          expect(res.headers['strict-transport-security']).toMatch(
            /^max-age=\d+; includeSubDomains$/,
          );
          expect(res.headers['content-security-policy']).toBe(
            `default-src 'none'; frame-ancestors 'none'`,
          );
          expect(res.headers['x-powered-by']).toBeUndefined();
          // Helmet's headers for HTML pages are the documentation's only.
          expect(res.headers['cross-origin-opener-policy']).toBeUndefined();
        }
      });

      it('lets Swagger UI run at /docs, and lets verifiers keep the public keys a while', async () => {
        const docs = await http().get('/docs').redirects(2).expect(200);
        expect(docs.headers['content-security-policy']).toContain(
          `script-src 'self' 'unsafe-inline'`,
        );
        expect(docs.headers['x-content-type-options']).toBe('nosniff');
        expect(docs.headers['cache-control']).toBeUndefined();
        const jwks = await http().get('/api/auth/jwks').expect(200);
        expect(jwks.headers['cache-control']).toBe('public, max-age=300');
      });
    });

    describe('operations', () => {
      it('answers /health with 200', async () => {
        await http().get('/health').expect(200);
        expectProblem(await http().get('/api/health'), 404);
      });

      it('answers /ready with 200 naming its checks', async () => {
        const res = await http().get('/ready').expect(200);
        const checks = (res.body as { checks: Record<string, { status: string }> }).checks;
        // The gateway depends on no store: it is ready once it listens (an upstream that is
        // down is answered with 503 per request, not by taking the whole API out of service).
        const expected =
          store === 'split'
            ? []
            : app.env.AUTH_REDIS_URL
              ? ['account-view', 'auth-redis', 'order-db', 'revocations', 'signing-keys', 'user-db']
              : ['account-view', 'order-db', 'revocations', 'signing-keys', 'user-db'];
        expect(Object.keys(checks).sort()).toEqual(expected);
        for (const check of Object.values(checks)) expect(check.status).toBe('up');
      });

      it('exposes http_request_duration_seconds by method, route template and status code', async () => {
        const order = await createOrder(app, account);
        await http()
          .get(`/api/orders/${order.id}`)
          .set(...bearer(account))
          .expect(200);
        await http()
          .get('/api/orders/00000000-0000-4000-8000-000000000000')
          .set(...bearer(account))
          .expect(404);
        const res = await http().get('/metrics').expect(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        expect(res.text).toMatch(/# TYPE http_request_duration_seconds histogram/);
        const lines = res.text
          .split('\n')
          .filter((l) => l.startsWith('http_request_duration_seconds_count'));
        // At the gateway, the route template is the proxied prefix.
        const byId = lines.filter((l) =>
          l.includes(store === 'split' ? 'route="/api/orders/*"' : 'route="/api/orders/:id"'),
        );
        expect(
          byId.some((l) => l.includes('method="GET"') && l.includes('status_code="200"')),
        ).toBe(true);
        expect(
          byId.some((l) => l.includes('method="GET"') && l.includes('status_code="404"')),
        ).toBe(true);
        expect(
          lines.some(
            (l) =>
              l.includes('route="/api/orders"') &&
              l.includes('method="POST"') &&
              l.includes('status_code="201"'),
          ),
        ).toBe(true);
        expect(res.text).not.toContain(order.id);
        expect(res.text).not.toContain('00000000-0000-4000-8000-000000000000');
      });

      it('serves Swagger UI at /docs', async () => {
        const res = await http().get('/docs').redirects(2);
        expect(res.status).toBe(200);
        expect(res.text).toMatch(/swagger/i);
      });

      it('describes exactly the routes of API.md in /docs/openapi.json', async () => {
        const res = await http().get('/docs/openapi.json').expect(200);
        const doc = res.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
        expect(doc.openapi).toMatch(/^3\./);
        const methods = ['get', 'post', 'put', 'patch', 'delete'];
        const routes = Object.entries(doc.paths)
          .flatMap(([path, ops]) =>
            Object.keys(ops)
              .filter((m) => methods.includes(m))
              .map((m) => `${m} ${path}`),
          )
          .filter((r) => r.split(' ')[1].startsWith('/api/'))
          .sort();
        expect(routes).toEqual(CONTRACT_ROUTES);
      });
    });

    describe('representations', () => {
      it('uses UUID ids, ISO 8601 UTC times and integer cents', async () => {
        const order = await createOrder(app, account);
        const me = (
          await http()
            .get('/api/users/me')
            .set(...bearer(account))
            .expect(200)
        ).body as Record<string, string>;
        expect(me.id).toMatch(UUID_PATTERN);
        expect(me.createdAt).toMatch(ISO_UTC_PATTERN);
        expect(me.updatedAt).toMatch(ISO_UTC_PATTERN);
        expect(order.id).toMatch(UUID_PATTERN);
        expect(order.userId).toMatch(UUID_PATTERN);
        expect(order.createdAt).toMatch(ISO_UTC_PATTERN);
        expect(order.updatedAt).toMatch(ISO_UTC_PATTERN);
        expect(Number.isInteger(order.totalCents)).toBe(true);
        for (const i of order.items) expect(Number.isInteger(i.unitPriceCents)).toBe(true);
      });

      it('answers whole at any size (the split gateway reads small answers whole, streams large ones), and HEAD with the length of GET', async () => {
        const buyer = await signUpAndLogin(app);
        // The largest order there is: 100 items with the longest SKU and name, about 34 KB.
        const items = Array.from({ length: 100 }, (_, n) => ({
          sku: `SKU-${n}-`.padEnd(64, 'x'),
          name: `Item ${n} `.padEnd(200, 'y'),
          quantity: 1000,
          unitPriceCents: 100_000_000,
        }));
        const placed = await Promise.all(
          [0, 1, 2].map(() => createOrder(app, buyer, orderBody({ items }))),
        );
        const one = await http()
          .get(`/api/orders/${placed[0].id}`)
          .set(...bearer(buyer))
          .expect(200);
        expect(Number(one.headers['content-length'])).toBeGreaterThan(32 * 1024);
        expect((one.body as { items: unknown[] }).items).toEqual(placed[0].items);
        const list = await http()
          .get('/api/orders?limit=3')
          .set(...bearer(buyer))
          .expect(200);
        expect(Number(list.headers['content-length'])).toBeGreaterThan(96 * 1024);
        const listed = (list.body as { items: Array<{ id: string }> }).items;
        expect(listed.map((o) => o.id).sort()).toEqual(placed.map((o) => o.id).sort());
        const me = await http()
          .get('/api/users/me')
          .set(...bearer(buyer))
          .expect(200);
        const head = await http()
          .head('/api/users/me')
          .set(...bearer(buyer))
          .expect(200);
        expect(head.headers['content-length']).toBe(me.headers['content-length']);
        expect(head.text ?? '').toBe('');
      });
    });
  });
}
