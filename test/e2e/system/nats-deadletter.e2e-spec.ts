import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import request from 'supertest';
import { startTestApp, TestApp } from '../../support/app';
import { bearer, createOrder, eventually, signUpAndLogin } from '../../support/api';
import { dropNatsNamespace, natsNamespace } from '../../support/nats';
import { availableServices, SERVICES } from '../../support/services';
import { TcpProxy } from '../../support/tcp-proxy';
import { COMPILED } from '../../support/paths';

const run = promisify(execFile);
const CLI = join(COMPILED, 'cli', 'deadletter.js');
const needed = ['postgres', 'redis', 'nats'].filter((s) => !availableServices().has(s));

/**
 * On NATS, a handler that keeps failing gets NATS_MAX_DELIVER deliveries with backoff; then the
 * event is dead-lettered (kept, listed by `npm run deadletter -- list`) instead of lost, and a
 * replay after the cause is fixed applies it exactly once.
 */
describeOrSkip(
  'NATS dead letters',
  needed.length > 0 ? `needs ${needed.join(', ')}` : false,
  () => {
    let app: TestApp;
    let userDb: TcpProxy;
    const namespace = natsNamespace();
    const env = { TRANSPORT: 'nats', NATS_URL: SERVICES.nats, NATS_NAMESPACE: namespace };
    const cli = async (...args: string[]) =>
      (
        await run(process.execPath, [CLI, ...args], {
          env: { PATH: process.env.PATH ?? '', NATS_URL: SERVICES.nats, NATS_NAMESPACE: namespace },
        })
      ).stdout;

    beforeAll(async () => {
      app = await startTestApp({
        store: 'postgres',
        env: {
          ...env,
          NATS_MAX_DELIVER: '3',
          OUTBOX_BACKOFF_BASE_MS: '20',
          OUTBOX_BACKOFF_MAX_MS: '100',
          DB_TIMEOUT_MS: '1000',
        },
        routeStores: async (stores) => {
          const { hostname, port } = new URL(stores.USER_DATABASE_URL);
          userDb = await TcpProxy.start({ host: hostname, port: Number(port) });
          return { ...stores, USER_DATABASE_URL: userDb.rewrite(stores.USER_DATABASE_URL) };
        },
      });
    });

    afterAll(async () => {
      userDb?.set('pass');
      await app?.close();
      await userDb?.close();
      await dropNatsNamespace(SERVICES.nats, namespace).catch(() => undefined);
    });

    it('dead-letters an event its handler keeps failing, lists it, and applies it once when replayed', async () => {
      const account = await signUpAndLogin(app);
      await createOrder(app, account); // also confirms the account to the order module
      const me = () =>
        request(app.url)
          .get('/api/users/me')
          .set(...bearer(account));
      await eventually(async () =>
        expect((await me()).body).toMatchObject({ orderSummary: { total: 1, open: 1 } }),
      );

      // The summary's database is gone: the order is still accepted (the account was confirmed
      // a moment ago), but its event cannot be applied.
      userDb.set('down');
      const lost = await createOrder(app, account);
      const letters = await eventually(
        async () => {
          const lines = (await cli('list')).trim().split('\n').filter(Boolean);
          const parsed = lines.map(
            (l) => JSON.parse(l) as { seq: number; consumer: string; type: string; error: string },
          );
          expect(parsed).toEqual([
            expect.objectContaining({
              consumer: 'user-order-summary-created',
              type: 'order.created',
            }),
          ]);
          return parsed;
        },
        30_000,
        200,
      );
      expect(letters[0].error).not.toBe('');

      userDb.set('pass');
      await eventually(() => request(app.url).get('/ready').expect(200), 20_000, 100);
      expect((await me()).body).toMatchObject({ orderSummary: { total: 1, open: 1 } });
      expect(await cli('replay', String(letters[0].seq))).toMatch(/^1 dead letter\(s\) replayed/);
      await eventually(
        async () =>
          expect((await me()).body).toMatchObject({ orderSummary: { total: 2, open: 2 } }),
        10_000,
      );
      expect((await cli('list')).trim()).toBe('');
      // Replaying again finds nothing, and the summary stays exact.
      expect(await cli('replay')).toMatch(/^0 dead letter/);
      const listed = await request(app.url)
        .get('/api/orders')
        .set(...bearer(account))
        .expect(200);
      expect((listed.body as { items: Array<{ id: string }> }).items.map((o) => o.id)).toContain(
        lost.id,
      );
    });
  },
);
