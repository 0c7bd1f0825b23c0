import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { itOrSkip } from '../../support/skip';
import request from 'supertest';
import { startTestApp, TestApp } from '../../support/app';
import {
  Account,
  bearer,
  createOrder,
  eventually,
  expectProblem,
  signUpAndLogin,
} from '../../support/api';
import { availableServices, databaseTargets } from '../../support/services';
import { ProxyMode, TcpProxy } from '../../support/tcp-proxy';

/** Every store timeout in these apps; a request that needs a lost store fails within it. */
const DB_TIMEOUT_MS = 1000;
/** The timeout plus the work around it: slower than this would be a hang. */
const FAST_MS = DB_TIMEOUT_MS + 1500;
/** How long recovery may take once a store is back. */
const RECOVERY_MS = 20_000;

const shapes = databaseTargets().filter((s): s is 'postgres' | 'mongo' => s !== 'pglite');
if (shapes.length === 0) {
  process.stdout.write(
    '[skip] dependency-failure suites need Postgres or MongoDB: neither is reachable\n',
  );
}

type Store = 'userDb' | 'orderDb' | 'redis';

/** The server behind each store in each shape; without it that store is embedded there. */
const SERVER: Record<(typeof shapes)[number], Record<Store, string>> = {
  postgres: { userDb: 'postgres', orderDb: 'postgres', redis: 'redis' },
  mongo: { userDb: 'postgres', orderDb: 'mongo', redis: 'redis' },
};

/** Skips a test of a store that is embedded in this shape (its server is unreachable). */
function needs(shape: (typeof shapes)[number], store: Store): string | false {
  const server = SERVER[shape][store];
  return availableServices().has(server) ? false : `${server} unreachable: ${store} is embedded`;
}
const ROUTED: Array<[Store, string]> = [
  ['userDb', 'USER_DATABASE_URL'],
  ['orderDb', 'ORDER_DATABASE_URL'],
  ['redis', 'AUTH_REDIS_URL'],
];

/**
 * Each store sits behind its own loopback TCP proxy that can reset every connection (the
 * server is gone) or swallow them (the server hangs). While a store is lost, the requests that
 * need it answer 503 problem+json within the configured timeout, `/ready` names it, and the
 * rest keeps working; once it is back the app recovers by itself, and nothing acknowledged
 * before or during the outage is lost.
 */
for (const shape of shapes) {
  describe(`dependency failures, ${shape} shape`, () => {
    let app: TestApp;
    const proxies: Partial<Record<Store, TcpProxy>> = {};
    let account: Account;

    beforeAll(async () => {
      app = await startTestApp({
        store: shape,
        env: {
          DB_TIMEOUT_MS: String(DB_TIMEOUT_MS),
          OUTBOX_POLL_MS: '100',
          OUTBOX_BACKOFF_BASE_MS: '50',
          OUTBOX_BACKOFF_MAX_MS: '500',
          OUTBOX_MAX_ATTEMPTS: '1000',
        },
        routeStores: async (env) => {
          const routed = { ...env };
          for (const [store, key] of ROUTED) {
            const url = env[key];
            if (!url) continue;
            const { hostname, port } = new URL(url);
            const proxy = await TcpProxy.start({ host: hostname, port: Number(port) });
            proxies[store] = proxy;
            routed[key] = proxy.rewrite(url);
          }
          return routed;
        },
      });
      account = await signUpAndLogin(app);
    });

    afterAll(async () => {
      for (const proxy of Object.values(proxies)) proxy.set('pass');
      await app?.close();
      for (const proxy of Object.values(proxies)) await proxy.close();
    });

    /** Runs `check` with `store` lost in `mode`, then restores it and waits for readiness. */
    const whileLost = async (store: Store, mode: ProxyMode, check: () => Promise<void>) => {
      const proxy = proxies[store];
      if (!proxy) throw new Error(`${store} is not behind a proxy in the ${shape} shape`);
      proxy.set(mode);
      try {
        await check();
      } finally {
        proxy.set('pass');
      }
      await eventually(() => request(app.url).get('/ready').expect(200), RECOVERY_MS, 100);
    };

    /** Sends the request and expects a 503 problem within FAST_MS. */
    const expectFast503 = async (send: () => request.Test) => {
      const started = Date.now();
      const res = await send();
      expectProblem(res, 503);
      expect(Date.now() - started).toBeLessThan(FAST_MS);
    };

    const me = () =>
      request(app.url)
        .get('/api/users/me')
        .set(...bearer(account));
    const orderSummary = async () =>
      ((await me().expect(200)).body as { orderSummary: unknown }).orderSummary;
    const readyDetail = async () => {
      const res = await request(app.url).get('/ready');
      expectProblem(res, 503);
      return (res.body as { detail: string }).detail;
    };

    for (const mode of ['down', 'blackhole'] as const) {
      itOrSkip(
        `user database ${mode === 'down' ? 'gone' : 'hanging'}: fast 503s, /ready names it, events wait, then everything recovers`,
        needs(shape, 'userDb'),
        async () => {
          account = await signUpAndLogin(app);
          const stranger = await signUpAndLogin(app);
          const orders = [await createOrder(app, account), await createOrder(app, account)];
          await eventually(async () => expect(await orderSummary()).toEqual({ total: 2, open: 2 }));
          await whileLost('userDb', mode, async () => {
            await expectFast503(me);
            // Placing an order needs the order module's own store and a valid token, nothing
            // of the user module: any signed-in user's order is taken.
            for (const who of [stranger, account]) {
              await request(app.url)
                .post('/api/orders')
                .set(...bearer(who))
                .send(ORDER)
                .expect(201);
            }
            const detail = await readyDetail();
            expect(detail).toMatch(/user-db/);
            expect(detail).not.toMatch(/order-db/);
            await request(app.url).get('/health').expect(200);
            // The order module does not need the user database: a cancellation is acknowledged,
            // and its event waits in the outbox for the summary.
            await request(app.url)
              .post(`/api/orders/${orders[0].id}/cancel`)
              .set(...bearer(account))
              .expect(200);
          });
          await eventually(
            async () => expect(await orderSummary()).toEqual({ total: 3, open: 2 }),
            RECOVERY_MS,
            100,
          );
          await createOrder(app, account);
        },
      );
    }

    for (const mode of ['down', 'blackhole'] as const) {
      itOrSkip(
        `order database ${mode === 'down' ? 'gone' : 'hanging'}: fast 503s, /ready names it, nothing acknowledged is lost`,
        needs(shape, 'orderDb'),
        async () => {
          account = await signUpAndLogin(app);
          const acknowledged = [await createOrder(app, account), await createOrder(app, account)];
          await whileLost('orderDb', mode, async () => {
            await expectFast503(() =>
              request(app.url)
                .post('/api/orders')
                .set(...bearer(account))
                .send(ORDER),
            );
            await expectFast503(() =>
              request(app.url)
                .get('/api/orders')
                .set(...bearer(account)),
            );
            await expectFast503(() =>
              request(app.url)
                .get(`/api/orders/${acknowledged[0].id}`)
                .set(...bearer(account)),
            );
            const detail = await readyDetail();
            expect(detail).toMatch(/order-db/);
            expect(detail).not.toMatch(/user-db/);
            await me().expect(200);
          });
          const after = await createOrder(app, account);
          const listed = await request(app.url)
            .get('/api/orders?limit=100')
            .set(...bearer(account))
            .expect(200);
          const ids = (listed.body as { items: Array<{ id: string }> }).items.map((o) => o.id);
          expect(ids.sort()).toEqual([...acknowledged, after].map((o) => o.id).sort());
          await eventually(
            async () => expect(await orderSummary()).toEqual({ total: 3, open: 3 }),
            RECOVERY_MS,
            100,
          );
        },
      );
    }

    for (const mode of ['down', 'blackhole'] as const) {
      itOrSkip(
        `Redis ${mode === 'down' ? 'gone' : 'hanging'}: sign-in answers a fast 503, issued tokens keep working, sessions survive`,
        needs(shape, 'redis'),
        async () => {
          const user = await signUpAndLogin(app);
          await whileLost('redis', mode, async () => {
            await expectFast503(() =>
              request(app.url)
                .post('/api/auth/login')
                .send({ email: user.email, password: user.password }),
            );
            await expectFast503(() =>
              request(app.url).post('/api/auth/refresh').send({ refreshToken: user.refreshToken }),
            );
            expect(await readyDetail()).toMatch(/auth-redis/);
            // Access tokens are verified with the public key alone.
            await request(app.url)
              .get('/api/users/me')
              .set(...bearer(user))
              .expect(200);
          });
          // The session made before the outage is still there: its refresh token rotates.
          const refreshed = await request(app.url)
            .post('/api/auth/refresh')
            .send({ refreshToken: user.refreshToken })
            .expect(200);
          expect(refreshed.body).toMatchObject({
            accessToken: expect.any(String),
            refreshToken: expect.any(String),
          });
        },
      );
    }
  });
}

const ORDER = {
  currency: 'EUR',
  items: [{ sku: 'SKU-1', name: 'Widget', quantity: 1, unitPriceCents: 500 }],
};
