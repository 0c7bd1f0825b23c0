import { expect } from '@jest/globals';
import request from 'supertest';
import type { TestApp } from './app';
import { ADMIN } from './app';
import { sharedFixture } from './fixture';

let counter = 0;

/** A unique email for this process, so tests never collide. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}@example.com`;
}

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Signs up and logs in a fresh user. */
export async function signUpAndLogin(app: TestApp, name = 'Test User'): Promise<Account> {
  const email = uniqueEmail();
  const password = 'correct-horse-1';
  const created = await request(app.url)
    .post('/api/users')
    .send({ email, password, name })
    .expect(201);
  const tokens = await login(app, email, password);
  return { id: (created.body as { id: string }).id, email, password, ...tokens };
}

/** Logs in and expects 200; the token pair. */
export async function login(
  app: TestApp,
  email: string,
  password: string,
): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await loginAttempt(app, email, password).expect(200);
  return res.body as { accessToken: string; refreshToken: string };
}

/** A login request, for a test that expects it to be refused (or checks the answer itself). */
export function loginAttempt(app: TestApp, email: string, password: string): request.Test {
  return request(app.url).post('/api/auth/login').send({ email, password });
}

export async function loginAdmin(app: TestApp): Promise<Account> {
  const tokens = await login(app, ADMIN.email, ADMIN.password);
  const me = await requestAs(app, tokens).get('/api/users/me').expect(200);
  return {
    id: (me.body as { id: string }).id,
    email: ADMIN.email,
    password: ADMIN.password,
    ...tokens,
  };
}

/** The seeded admin, logged in before the tests of the enclosing `describe` (see useTestApp). */
export function useAdmin(app: TestApp): Account {
  return sharedFixture(() => loginAdmin(app));
}

/** A fresh user, signed up and logged in before the tests of the enclosing `describe`. */
export function useAccount(app: TestApp): Account {
  return sharedFixture(() => signUpAndLogin(app));
}

export const bearer = (account: { accessToken: string }): [string, string] => [
  'authorization',
  `Bearer ${account.accessToken}`,
];

type Verb = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** supertest's request methods, each request carrying one caller's access token (or none). */
export type Requests = Record<Verb, (path: string) => request.Test>;

/**
 * Requests to `app` as a caller: `const http = httpFor(app)`, then `http(owner).get(path)` is
 * `request(app.url).get(path).set(...bearer(owner))`, and `http().get(path)` carries no token.
 */
export function httpFor(app: TestApp): (caller?: { accessToken: string }) => Requests {
  return (caller) => requestAs(app, caller);
}

function requestAs(app: TestApp, caller?: { accessToken: string }): Requests {
  const http = request(app.url);
  const as = (verb: Verb) => (path: string) =>
    caller ? http[verb](path).set(...bearer(caller)) : http[verb](path);
  return {
    get: as('get'),
    post: as('post'),
    put: as('put'),
    patch: as('patch'),
    delete: as('delete'),
  };
}

/** Polls until `check` passes or the deadline ends (no fixed sleeps). */
export async function eventually<T>(
  check: () => Promise<T>,
  timeoutMs = 5000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

export function expectProblem(res: request.Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.body as Record<string, unknown>;
  expect(body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
    // The body names the request as the header does, for clients that log only the body.
    requestId: res.headers['x-request-id'],
  });
  // Every 429 and 503 says when to try again.
  if (status === 429 || status === 503) expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(JSON.stringify(body)).not.toMatch(
    /stack|at .*\.ts:|QueryFailedError|SELECT |INSERT |node_modules/,
  );
}

/** A 400 problem whose `errors` name `field`; the errors, for further checks. */
export function expectFieldError(
  res: request.Response,
  field: string,
): Array<{ field: string; message: string }> {
  expectProblem(res, 400);
  const errors = (res.body as { errors?: Array<{ field: string; message: string }> }).errors ?? [];
  expect(errors.map((e) => e.field)).toContain(field);
  return errors;
}

/** The answer to a path with a malformed id: refused as invalid (400) or as unknown (404). */
export function expectMalformedIdRefused(res: request.Response): void {
  expect([400, 404]).toContain(res.status);
  expectProblem(res, res.status);
}

/**
 * A paged list's query as `caller` sends it: each of `refused` (e.g. `limit=0`) is a 400
 * problem, and the smallest and the largest page (limit=1, limit=100) are served.
 */
export async function expectListQueries(
  app: TestApp,
  path: string,
  caller: { accessToken: string },
  refused: string[],
): Promise<void> {
  const http = requestAs(app, caller);
  for (const query of refused) expectProblem(await http.get(`${path}?${query}`), 400);
  await http.get(`${path}?limit=1`).expect(200);
  await http.get(`${path}?limit=100`).expect(200);
}

export interface OrderItemInput {
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderInput {
  items: OrderItemInput[];
  currency: string;
}

export interface OrderJson extends OrderInput {
  id: string;
  userId: string;
  totalCents: number;
  status: string;
  createdAt: string;
  updatedAt: string;
}

/** A valid order body; `overrides` replace top-level fields. */
export function orderBody(overrides: Partial<OrderInput> = {}): OrderInput {
  return {
    items: [{ sku: 'SKU-1', name: 'Widget', quantity: 2, unitPriceCents: 1250 }],
    currency: 'EUR',
    ...overrides,
  };
}

/** Places an order as `account` and expects 201. */
export async function createOrder(
  app: TestApp,
  account: { accessToken: string },
  body: OrderInput = orderBody(),
): Promise<OrderJson> {
  const res = await requestAs(app, account).post('/api/orders').send(body).expect(201);
  return res.body as OrderJson;
}

/** Moves an order one step as admin and expects 200. */
export async function setOrderStatus(
  app: TestApp,
  admin: { accessToken: string },
  id: string,
  status: string,
): Promise<OrderJson> {
  const res = await requestAs(app, admin)
    .patch(`/api/orders/${id}/status`)
    .send({ status })
    .expect(200);
  return res.body as OrderJson;
}

/** Cancels an order as `caller` (its owner or an admin) and expects 200. */
export async function cancelOrder(
  app: TestApp,
  caller: { accessToken: string },
  id: string,
): Promise<OrderJson> {
  const res = await requestAs(app, caller).post(`/api/orders/${id}/cancel`).expect(200);
  return res.body as OrderJson;
}

/** The admin's steps from pending, in order. */
const FULFILMENT = ['confirmed', 'shipped', 'delivered'];

/**
 * Places an order as `owner` and brings it to `status` as the API allows: by the admin's steps
 * from pending (confirmed, shipped, delivered) or by the owner's cancel. The order as it is then.
 */
export async function orderWithStatus(
  app: TestApp,
  owner: { accessToken: string },
  admin: { accessToken: string },
  status: 'pending' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled',
): Promise<OrderJson> {
  let order = await createOrder(app, owner);
  if (status === 'cancelled') return cancelOrder(app, owner, order.id);
  for (const step of FULFILMENT.slice(0, FULFILMENT.indexOf(status) + 1))
    order = await setOrderStatus(app, admin, order.id, step);
  return order;
}

/** An order's status, as `reader` (its owner or an admin) reads it. */
export async function orderStatus(
  app: TestApp,
  reader: { accessToken: string },
  id: string,
): Promise<string> {
  const res = await requestAs(app, reader).get(`/api/orders/${id}`).expect(200);
  return (res.body as OrderJson).status;
}

/**
 * Traffic whose metrics a test knows: a user signed up and logged in (POST /api/users 201,
 * POST /api/auth/login 200), a wrong password (401), `reads` reads of /api/users/me (200), an
 * unknown order (GET /api/orders/:id 404) and two orders (201, two order.created events).
 */
export async function sendKnownTraffic(
  app: TestApp,
  reads: number,
): Promise<{ account: Account; missingOrderId: string; orders: OrderJson[] }> {
  const account = await signUpAndLogin(app);
  await loginAttempt(app, account.email, 'wrong-password-1').expect(401);
  const http = requestAs(app, account);
  for (let i = 0; i < reads; i++) await http.get('/api/users/me').expect(200);
  const missingOrderId = '00000000-0000-4000-8000-000000000000';
  await http.get(`/api/orders/${missingOrderId}`).expect(404);
  const orders = [await createOrder(app, account), await createOrder(app, account)];
  return { account, missingOrderId, orders };
}

/** No key anywhere in `value` names a password or a hash. */
export function expectNoSecretFields(value: unknown): void {
  const keys: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        keys.push(k);
        walk(child);
      }
    }
  };
  walk(value);
  expect(keys.filter((k) => /password|hash|secret/i.test(k))).toEqual([]);
  expect(JSON.stringify(value)).not.toMatch(/\$argon2/);
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** ISO 8601 in UTC, as `Date.prototype.toISOString` writes it. */
export const ISO_UTC_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Collects every item of a paged list by following `nextCursor`. */
export async function walkPages<T>(
  app: TestApp,
  path: string,
  account: { accessToken: string },
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const url = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await requestAs(app, account).get(url).expect(200);
    const body = res.body as { items: T[]; nextCursor: string | null };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    items.push(...body.items);
    cursor = body.nextCursor;
    pages += 1;
    if (pages > 1000) throw new Error('pagination does not end');
  } while (cursor !== null);
  return { items, pages };
}
