import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { bearer, createOrder, loginAdmin, signUpAndLogin, type Account } from '../../support/api';
import { limitCases } from '../../support/fuzz/limits';
import { fuzz, USER_SLOTS, type FuzzContext } from '../../support/fuzz/run';
import { shapeTargets } from '../../support/services';

/**
 * Property-based fuzzing driven by the committed openapi.json: thousands of generated hostile
 * requests over every route (hostile strings, numbers, nesting and bodies, malformed paths,
 * queries, tokens and headers). Every answer is below 500, problem+json when an error, carries
 * x-request-id and leaks nothing; afterwards, the data made before the run is intact.
 *
 * FUZZ_SEED replays a run; FUZZ_RUNS sets its size (default 5,000 in the one-process shape and
 * 1,000 through the gateway of the split shape).
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 5000);

const SHAPES = shapeTargets()
  .filter((s) => s === 'pglite' || s === 'split')
  .map((store) => ({ store, runs: store === 'split' ? Math.ceil(RUNS / 5) : RUNS }));

for (const { store, runs } of SHAPES) {
  describe(`fuzzing every route on ${store}`, () => {
    let app: TestApp;
    let witness: Account;
    let witnessOrders: unknown[];
    let context: FuzzContext;

    const ordersOf = async (account: Account) =>
      (
        (
          await request(app.url)
            .get('/api/orders?limit=100')
            .set(...bearer(account))
            .expect(200)
        ).body as { items: unknown[] }
      ).items;

    const fuzzUser = async () => {
      const account = await signUpAndLogin(app, 'Fuzz');
      return {
        token: account.accessToken,
        id: account.id,
        orderId: (await createOrder(app, account)).id,
      };
    };

    beforeAll(async () => {
      app = await startTestApp({ store });
      // Data the run must not change: an account (and orders) whose token it never has.
      witness = await signUpAndLogin(app, 'Witness');
      await createOrder(app, witness);
      await createOrder(app, witness);
      witnessOrders = await ordersOf(witness);
      const admin = await loginAdmin(app);
      const users = [];
      for (let i = 0; i < USER_SLOTS; i++) users.push(await fuzzUser());
      context = {
        url: app.directUrl ?? app.url,
        adminToken: admin.accessToken,
        users,
        replaceUser: async (slot) => {
          users[slot] = await fuzzUser();
        },
      };
    });
    afterAll(() => app?.close());

    // Before the fuzz run, which may delete the accounts (the admin too) it is given.
    it('accepts every limit openapi.json documents at its value and refuses one past it with 400', async () => {
      const cases = limitCases();
      const admin = await loginAdmin(app);
      const failures: string[] = [];
      for (const limit of cases) {
        for (const which of ['at', 'past'] as const) {
          // A fresh account each time: a request at a limit may change it (a new password).
          const user = await signUpAndLogin(app, 'Limits');
          const order = await createOrder(app, user);
          const token = limit.auth === 'admin' ? admin.accessToken : user.accessToken;
          const { body, query, headers } = limit.build(which);
          const path = limit.path.replace(
            '{id}',
            limit.path.startsWith('/api/users') ? user.id : order.id,
          );
          const search = new URLSearchParams(query).toString();
          const res = await fetch(`${app.url}${path}${search ? `?${search}` : ''}`, {
            method: limit.method,
            headers: {
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...(limit.auth === 'none' ? {} : { authorization: `Bearer ${token}` }),
              ...headers,
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const problem = (await res.json().catch(() => ({}))) as {
            code?: string;
            errors?: Array<{ field: string; message: string }>;
          };
          const name = `${limit.method} ${limit.path} ${limit.where} ${limit.field} ${limit.rule} ${limit.limit}, ${which}`;
          // At the limit the request passes validation: not 400, and (on a route that needs a
          // token) not refused before validation either.
          // An opaque value (a cursor) at its length is no real one: it may be refused as
          // unknown, never for its length.
          const forLength = (problem.errors ?? []).some(
            (e) =>
              e.field.startsWith(limit.field) && /long|short|length|most|least/i.test(e.message),
          );
          const refused =
            (res.status === 400 && (!limit.opaque || forLength)) ||
            res.status >= 500 ||
            problem.code === 'AUTH.UNAUTHENTICATED' ||
            problem.code === 'AUTH.FORBIDDEN';
          if (which === 'at' && refused) {
            failures.push(`${name}: ${res.status} ${JSON.stringify(problem).slice(0, 200)}`);
          }
          if (which === 'past') {
            const named =
              limit.where !== 'body' ||
              (problem.errors ?? []).some((e) => e.field.startsWith(limit.field));
            if (res.status !== 400 || !named) {
              failures.push(`${name}: ${res.status} ${JSON.stringify(problem).slice(0, 200)}`);
            }
          }
        }
      }
      process.stdout.write(
        `[limits] ${store}: ${cases.length} documented limits, each at and past its value\n`,
      );
      expect(failures).toEqual([]);
      expect(cases.length).toBeGreaterThan(10);
    });

    it(`answers ${runs} generated hostile requests with no 5xx, problem+json and a request id, and keeps earlier data`, async () => {
      process.stdout.write(
        `[fuzz] ${store}: seed ${SEED}, ${runs} requests (replay: FUZZ_SEED=${SEED})\n`,
      );
      const report = await fuzz(context, runs, SEED);
      process.stdout.write(
        `[fuzz] ${store}: ${report.runs} requests in ${report.ms} ms, by status ${JSON.stringify(report.statuses)}\n`,
      );
      // Enough got through to the business rules to mean something.
      const succeeded = Object.entries(report.statuses)
        .filter(([status]) => Number(status) < 300)
        .reduce((sum, [, n]) => sum + n, 0);
      expect(succeeded).toBeGreaterThan(runs / 50);
      // What existed before is intact, and the system still serves.
      expect(await ordersOf(witness)).toEqual(witnessOrders);
      const me = await request(app.url)
        .get('/api/users/me')
        .set(...bearer(witness))
        .expect(200);
      expect(me.body).toMatchObject({ name: 'Witness', orderSummary: { total: 2, open: 2 } });
      await request(app.url)
        .post('/api/auth/login')
        .send({ email: witness.email, password: witness.password })
        .expect(200);
      await request(app.url).get('/ready').expect(200);
    });
  });
}
