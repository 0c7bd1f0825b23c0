import { afterAll, expect, it } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { ADMIN } from '../../support/app';
import { eventually } from '../../support/api';
import { call, signUp } from '../../support/http-client';
import { sample } from '../../support/metrics';
import { dropNatsNamespace, natsNamespace } from '../../support/nats';
import { AppProcess } from '../../support/process';
import { availableServices, SERVICES } from '../../support/services';

/**
 * One retry rule on both transports (src/shared/bus/retry.ts): `user.deleted` has three
 * handlers, the auth module's (revoke sessions) and two of the order module's (its account
 * view's tombstone, and cancelling open orders). The cancelling fails twice; it alone gets the
 * event again, with backoff, until it succeeds, and the other two ran once. Counted by the
 * process' own metrics (bus_handler_duration_seconds).
 */
const transports = [
  { transport: 'local', store: 'pglite' as const, needs: [] as string[] },
  { transport: 'nats', store: 'postgres' as const, needs: ['postgres', 'redis', 'nats'] },
];

for (const { transport, store, needs } of transports) {
  const missing = needs.filter((s) => !availableServices().has(s));
  describeOrSkip(
    `a failing event handler on the ${transport} transport`,
    missing.length > 0 ? `needs ${missing.join(', ')}` : false,
    () => {
      let app: AppProcess | undefined;
      let cleanup: (() => Promise<void>) | undefined;
      const namespace = natsNamespace();
      afterAll(async () => {
        await app?.kill();
        await cleanup?.();
        if (transport === 'nats')
          await dropNatsNamespace(SERVICES.nats, namespace).catch(() => undefined);
      });

      it('is retried alone, with backoff, until it succeeds; the other handler runs once', async () => {
        const data = await AppProcess.prepare(store);
        cleanup = () => data.cleanup();
        app = await AppProcess.start({
          ...data.env,
          ...(transport === 'nats'
            ? { TRANSPORT: 'nats', NATS_URL: SERVICES.nats, NATS_NAMESPACE: namespace }
            : {}),
          CLEAVE_FAILPOINTS: 'order.cancel-open-orders:throw@1-2',
          OUTBOX_BACKOFF_BASE_MS: '50',
          OUTBOX_BACKOFF_MAX_MS: '200',
        });
        const url = app.url;
        const user = await signUp(url);
        const order = await call({ url, token: user.token }, 'POST', '/api/orders', {
          items: [{ sku: 'R-1', name: 'Thing', quantity: 1, unitPriceCents: 100 }],
          currency: 'EUR',
        });
        expect(order.status).toBe(201);
        expect((await call({ url, token: user.token }, 'DELETE', '/api/users/me')).status).toBe(
          204,
        );

        const admin = await adminClient(url);
        await eventually(async () => {
          const res = await call(admin, 'GET', `/api/orders/${order.json.id}`);
          expect(res.json.status).toBe('cancelled');
        }, 15_000);
        const counts = async () => {
          const text = await (await fetch(`${url}/metrics`)).text();
          const count = (outcome: string) =>
            sample(text, 'bus_handler_duration_seconds_count', {
              kind: 'event',
              pattern: 'user.deleted',
              outcome,
            }) ?? 0;
          return { ok: count('ok'), error: count('error') };
        };
        // auth and the account view: 1 ok each; cancelling: 2 errors, then 1 ok. Re-running
        // either of the others would add oks.
        await eventually(async () => expect(await counts()).toEqual({ ok: 3, error: 2 }), 15_000);
      });
    },
  );
}

async function adminClient(url: string): Promise<{ url: string; token: string }> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  return { url, token: ((await res.json()) as { accessToken: string }).accessToken };
}
