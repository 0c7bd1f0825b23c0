import { afterAll, expect, it, jest } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { Client } from 'pg';
import { eventually } from '../../support/api';
import { call, expectExactSummary, signUp } from '../../support/http-client';
import { AppProcess, freePort } from '../../support/process';
import { availableServices, SERVICES } from '../../support/services';
import { SplitApp, startSplitApp } from '../../support/split';
import { TcpProxy } from '../../support/tcp-proxy';

jest.setTimeout(120_000);

const ORDER = {
  currency: 'EUR',
  items: [{ sku: 'SKU-1', name: 'Widget', quantity: 1, unitPriceCents: 500 }],
};
const needed = ['postgres', 'redis', 'nats'].filter((s) => !availableServices().has(s));
const skip = needed.length > 0 ? `needs ${needed.join(', ')}` : false;

/** The user's orders and summary agree, and every id in `mustExist` is there. */
function expectExact(
  app: SplitApp,
  token: string,
  mustExist: Iterable<string>,
  timeoutMs = 30_000,
) {
  return expectExactSummary({ url: app.url, token }, mustExist, timeoutMs);
}

/**
 * Faults of the split shape, each on real processes and real NATS, bounded, and cleaned up by
 * PID: a module process killed under load, NATS lost for ten seconds under load, the user
 * process stopped, and two replicas of the order process.
 */
describeOrSkip('split shape under faults', skip, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const start = async (env: Record<string, string> = {}) => {
    const app = await startSplitApp({ LOG_LEVEL: 'error', BREAKER_RESET_MS: '1000', ...env });
    cleanups.push(() => app.close());
    return app;
  };

  it('(a) the order process killed while a client creates orders: every 201 order exists, the summary is exact', async () => {
    const app = await start();
    const { token } = await signUp(app.url);
    const created = new Set<string>();
    for (let i = 0; i < 60; i++) {
      if (i === 25) void app.processes.order.kill();
      if (i === 35)
        await AppProcess.start(app.moduleEnv.order).then((p) => (app.processes.order = p));
      const res = await call({ url: app.url, token }, 'POST', '/api/orders', ORDER).catch(
        () => undefined,
      );
      if (res?.status === 201) created.add(res.json.id as string);
      else if (res) expect([503]).toContain(res.status);
    }
    expect(created.size).toBeGreaterThan(30);
    await expectExact(app, token, created);
  });

  it('(b) NATS gone for ten seconds under load: /ready names it, nothing acknowledged is lost, outboxes drain, summaries exact', async () => {
    const { hostname, port } = new URL(SERVICES.nats);
    const proxy = await TcpProxy.start({ host: hostname, port: Number(port) });
    cleanups.push(() => proxy.close());
    const app = await start({ NATS_URL: proxy.rewrite(SERVICES.nats), BUS_TIMEOUT_MS: '1000' });
    const { token } = await signUp(app.url);
    const created = new Set<string>();
    const place = async () => {
      const res = await call({ url: app.url, token }, 'POST', '/api/orders', ORDER).catch(
        () => undefined,
      );
      if (res?.status === 201) created.add(res.json.id as string);
    };
    for (let i = 0; i < 20; i++) await place();
    proxy.set('down');
    const outage = Date.now() + 10_000;
    // Readiness names the lost dependency in every module process.
    const readiness = async (module: 'auth' | 'user' | 'order') => {
      const res = await fetch(`${app.processes[module].url}/ready`);
      return { status: res.status, detail: ((await res.json()) as { detail?: string }).detail };
    };
    for (const module of ['auth', 'user', 'order'] as const) {
      await eventually(async () => {
        const ready = await readiness(module);
        expect(ready.status).toBe(503);
        expect(ready.detail).toMatch(/nats/);
      }, 8_000);
    }
    // Orders are placed throughout: the account check needs the bus, so most fail fast with
    // 503 (or pass on the recently confirmed account); whatever got 201 must survive.
    while (Date.now() < outage) await place();
    proxy.set('pass');
    for (const module of ['auth', 'user', 'order'] as const) {
      await eventually(async () => expect((await readiness(module)).status).toBe(200), 15_000);
    }
    for (let i = 0; i < 20; i++) await eventually(place, 15_000);
    await expectExact(app, token, created, 60_000);
  });

  it('(c) the user process stopped: orders are still taken, the user routes answer a fast 503, and the summary catches up when it returns', async () => {
    const app = await start();
    const stranger = await signUp(app.url);
    await app.processes.user.kill();
    // An order needs the order module's store and a valid token, nothing of the user module.
    const placedWhileDown: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await call({ url: app.url, token: stranger.token }, 'POST', '/api/orders', ORDER);
      expect(res.status).toBe(201);
      placedWhileDown.push(res.json.id as string);
    }
    // The gateway's own upstream for /api/users is down: 503 problem+json, at once.
    const started = Date.now();
    const me = await call({ url: app.url, token: stranger.token }, 'GET', '/api/users/me');
    expect(me.status).toBe(503);
    expect(me.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(me.json).toMatchObject({ status: 503, code: 'SERVICE.UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(1000);
    app.processes.user = await AppProcess.start(app.moduleEnv.user);
    await expectExact(app, stranger.token, placedWhileDown);
  });

  it('(d) two replicas of the order process share requests and events, and no event is handled twice', async () => {
    const app = await start();
    const second = await AppProcess.start({
      ...app.moduleEnv.order,
      PORT: String(await freePort()),
    });
    cleanups.push(() => second.kill());
    const replicas = [app.processes.order.url, second.url];
    const users = await Promise.all([0, 1, 2, 3].map(() => signUp(app.url)));
    const placed = new Map<string, string[]>();
    for (const [n, user] of users.entries()) {
      placed.set(user.token, []);
      for (let i = 0; i < 6; i++) {
        // A load balancer in front of the replicas: requests alternate between them.
        const res = await call(
          { url: replicas[(n + i) % 2], token: user.token },
          'POST',
          '/api/orders',
          ORDER,
        );
        expect(res.status).toBe(201);
        placed.get(user.token)!.push(res.json.id as string);
      }
    }
    for (const [token, ids] of placed) await expectExact(app, token, ids);
    // Deleting two accounts: each `user.deleted` is handled by one replica, once.
    for (const user of users.slice(0, 2)) {
      expect(
        (await call({ url: app.url, token: user.token }, 'DELETE', '/api/users/me')).status,
      ).toBe(204);
    }
    const db = new Client({ connectionString: app.env.ORDER_DATABASE_URL });
    await db.connect();
    try {
      await eventually(async () => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM cleave_order.orders WHERE status = 'cancelled'`,
        );
        expect(rows[0].n).toBe(12);
      }, 20_000);
      const { rows } = await db.query<{ order_id: string; n: number }>(
        `SELECT event->'data'->>'orderId' AS order_id, count(*)::int AS n FROM cleave_order.outbox
         WHERE type = 'order.cancelled' GROUP BY 1`,
      );
      expect(rows).toHaveLength(12);
      for (const row of rows) expect(row.n).toBe(1);
    } finally {
      await db.end();
    }
  });
});
