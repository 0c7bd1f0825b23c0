import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import type { BusinessModule } from '../../../src/shared/modules/registry';
import { eventually, loginAdmin } from '../../support/api';
import { call, expectExactSummary, signUp } from '../../support/http-client';
import { AppProcess, freePort } from '../../support/process';
import { missingServices, SPLIT_SERVICES } from '../../support/services';
import { describeOrSkip } from '../../support/skip';
import { startSplitApp, type SplitApp } from '../../support/split';
import {
  OPERATIONS_OF,
  p99,
  type Sent,
  signUpPool,
  SteadyLoad,
  succeeded,
} from '../../support/steady-load';

jest.setTimeout(600_000);

/** How long each module stays down (SIGKILL), at least. */
const DOWN_MS = 20_000;
const BREAKER_RESET_MS = 5000;
const USERS = 24;
const LOAD = { concurrency: 6, pauseMs: 40 };
const ORDER = {
  currency: 'EUR',
  items: [{ sku: 'IND-1', name: 'Widget', quantity: 2, unitPriceCents: 300 }],
};

/** What one run under load did: every request, split by the module that owns its route. */
function figures(sent: readonly Sent[]) {
  const of = (module: keyof typeof OPERATIONS_OF) =>
    sent.filter((s) => (OPERATIONS_OF[module] as readonly string[]).includes(s.operation));
  const summary = (part: readonly Sent[]) => ({
    sent: part.length,
    failed: part.filter((s) => !succeeded(s)).length,
    p99Ms: p99(part.filter(succeeded)),
  });
  return { user: summary(of('user')), order: summary(of('order')) };
}

const line = (label: string, f: ReturnType<typeof figures>) =>
  `  ${label}: orders sent ${f.order.sent}, failed ${f.order.failed}, p99 ${f.order.p99Ms} ms; ` +
  `profile reads sent ${f.user.sent}, failed ${f.user.failed}, p99 ${f.user.p99Ms} ms`;

/** Requests the order process sent to the user module over the bus, by its own metrics. */
async function orderAskedUser(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => /^bus_request_duration_seconds_count\{[^}]*pattern="user\./.test(l))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** A request that must be answered 503 problem+json fast (a module that is down). */
async function expectFast503(url: string, method: string, path: string, body?: unknown) {
  const started = Date.now();
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const took = Date.now() - started;
  expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({
    path,
    status: 503,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
  expect({ path, fast: took < 1500 }).toEqual({ path, fast: true });
}

const skip = missingServices(...SPLIT_SERVICES);

/**
 * A module that is down takes down only its own routes (docs/api.md, "Which modules a route
 * needs"). The split shape with real processes under a steady load of many users; one module at
 * a time is killed with SIGKILL for at least 20 s and started again. What every phase printed
 * (requests sent, failed, p99) is compared with the same load while every module is up.
 */
describeOrSkip('split modules fail independently', skip, () => {
  let app: SplitApp;
  let tokens: string[];
  const report: string[] = ['', '[independence] the split shape under a steady load:'];
  const extra: AppProcess[] = [];
  const created: string[][] = [];

  beforeAll(async () => {
    const signing = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    app = await startSplitApp({
      BREAKER_RESET_MS: String(BREAKER_RESET_MS),
      AUTH_SIGNING_KEY: JSON.stringify(signing),
      // Handed to every process, so that one can start while the auth module is down.
      AUTH_PUBLIC_KEYS: JSON.stringify({ keys: [{ ...signing, d: undefined }] }),
    });
    tokens = await signUpPool(app.url, USERS);
    tokens.forEach(() => created.push([]));
  });
  afterAll(async () => {
    process.stdout.write(`${report.join('\n')}\n`);
    for (const process of extra) await process.kill();
    await app?.close();
  });

  /** Runs the steady load while `during` runs; what it sent. */
  const underLoad = async (during: () => Promise<void>): Promise<Sent[]> => {
    const load = new SteadyLoad(app.url, tokens, LOAD);
    try {
      await load.flowing(20, 30_000);
      await during();
    } finally {
      await load.stop();
    }
    load.created.forEach((ids, user) => created[user].push(...ids));
    return load.sent;
  };

  /** Kills `module` (SIGKILL), runs `whileDown` for at least DOWN_MS, starts it again. */
  const down = async (module: BusinessModule, whileDown: () => Promise<void>) => {
    await app.processes[module].kill('SIGKILL');
    const until = Date.now() + DOWN_MS;
    await whileDown();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())));
    app.processes[module] = await AppProcess.start(app.moduleEnv[module]);
    return Date.now();
  };

  /** Every operation of the load succeeds again within the breaker's reset time (and a margin). */
  const recovers = async (sinceReady: number) => {
    const load = new SteadyLoad(app.url, tokens, LOAD);
    try {
      await eventually(
        () => {
          const last = load.sent.filter((s) => s.at > Date.now() - 1000);
          expect(last.length).toBeGreaterThan(5);
          expect(last.filter((s) => !succeeded(s))).toEqual([]);
          return Promise.resolve();
        },
        BREAKER_RESET_MS + 10_000,
        200,
      );
    } finally {
      await load.stop();
      load.created.forEach((ids, user) => created[user].push(...ids));
    }
    return Date.now() - sinceReady;
  };

  it('with every module up: the baseline', async () => {
    const sent = await underLoad(() => new Promise((resolve) => setTimeout(resolve, 10_000)));
    const f = figures(sent);
    report.push(line('every module up', f));
    expect(f.order.failed + f.user.failed).toBe(0);
  });

  it('user module down: orders keep being placed and listed, nothing asks the user module, its routes answer a fast 503', async () => {
    const askedBefore = await orderAskedUser(app.processes.order.url);
    let ready = 0;
    const sent = await underLoad(async () => {
      ready = await down('user', async () => {
        await eventually(() => expectFast503(app.url, 'GET', '/api/users/me'), 10_000);
        await expectFast503(app.url, 'POST', '/api/users', {
          email: 'down@example.com',
          password: 'correct-horse-1',
          name: 'Down',
        });
      });
    });
    const during = sent.filter((s) => s.at < ready);
    const f = figures(during);
    report.push(line('user module down', f));
    expect(f.order.sent).toBeGreaterThan(100);
    expect(f.order.failed / f.order.sent).toBeLessThanOrEqual(0.001);
    expect(await orderAskedUser(app.processes.order.url)).toBe(askedBefore);
    expect(askedBefore).toBe(0);
    report.push(`  user module: recovered ${await recovers(ready)} ms after it was ready again`);
  });

  it('auth module down: every module keeps accepting valid tokens and refusing revoked ones, also one restarted just before and one started while it is down; login, refresh and logout answer 503', async () => {
    const account = await signUp(app.url);
    const login = await fetch(`${app.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: account.email, password: account.password }),
    });
    const { accessToken, refreshToken } = (await login.json()) as Record<string, string>;
    // The session this login opened: its logout revokes this access token everywhere.
    const revoked = { url: app.url, token: accessToken };
    const logout = await call(revoked, 'POST', '/api/auth/logout', { refreshToken });
    expect(logout.status).toBe(204);
    const refused = async (url: string, paths = ['/api/users/me', '/api/orders']) => {
      for (const path of paths) {
        const res = await call({ url, token: revoked.token }, 'GET', path);
        expect({ url, path, status: res.status }).toEqual({ url, path, status: 401 });
      }
    };
    await eventually(() => refused(app.url), 5000);
    // Restarted just before the auth module goes down.
    await app.processes.order.kill('SIGKILL');
    app.processes.order = await AppProcess.start(app.moduleEnv.order);

    let ready = 0;
    const sent = await underLoad(async () => {
      ready = await down('auth', async () => {
        // Started while the auth module is down: it becomes ready, and knows the revocation.
        const late = await AppProcess.start({
          ...app.moduleEnv.order,
          PORT: String(await freePort()),
        });
        extra.push(late);
        await refused(late.url, ['/api/orders']);
        const valid = await call({ url: late.url, token: tokens[0] }, 'POST', '/api/orders', ORDER);
        expect(valid.status).toBe(201);
        created[0].push(valid.json.id as string);
        await refused(app.url);
        await expectFast503(app.url, 'POST', '/api/auth/login', {
          email: account.email,
          password: account.password,
        });
        await expectFast503(app.url, 'POST', '/api/auth/refresh', { refreshToken });
        await expectFast503(app.url, 'POST', '/api/auth/logout', { refreshToken });
      });
    });
    const f = figures(sent.filter((s) => s.at < ready));
    report.push(line('auth module down', f));
    expect(f.order.failed + f.user.failed).toBe(0);
    report.push(`  auth module: recovered ${await recovers(ready)} ms after it was ready again`);
  });

  it('order module down: users, login and account deletion keep working; back, it cancels the deleted account’s open orders', async () => {
    const leaving = { url: app.url, token: (await signUp(app.url)).token };
    const open = await call(leaving, 'POST', '/api/orders', ORDER);
    expect(open.status).toBe(201);
    let ready = 0;
    const sent = await underLoad(async () => {
      ready = await down('order', async () => {
        await eventually(() => expectFast503(app.url, 'GET', '/api/orders'), 10_000);
        const someone = await signUp(app.url); // sign-up and login
        expect(
          (await call({ url: app.url, token: someone.token }, 'GET', '/api/users/me')).status,
        ).toBe(200);
        expect((await call(leaving, 'DELETE', '/api/users/me')).status).toBe(204);
      });
    });
    const f = figures(sent.filter((s) => s.at < ready));
    report.push(line('order module down', f));
    expect(f.user.failed).toBe(0);
    report.push(`  order module: recovered ${await recovers(ready)} ms after it was ready again`);
    const admin = { url: app.url, token: (await loginAdmin(app)).accessToken };
    await eventually(async () => {
      const res = await call(admin, 'GET', `/api/orders/${open.json.id as string}`);
      expect(res.json).toMatchObject({ status: 'cancelled' });
    }, 15_000);
  });

  it('lost no event: every user’s order summary counts exactly the orders placed', async () => {
    for (const [user, token] of tokens.entries()) {
      await expectExactSummary({ url: app.url, token }, created[user], 30_000);
    }
  });
});
