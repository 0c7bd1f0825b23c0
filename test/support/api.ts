import { expect } from '@jest/globals';
import request from 'supertest';
import type { TestApp } from './app';
import { ADMIN } from './app';

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

export async function login(
  app: TestApp,
  email: string,
  password: string,
): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await request(app.url).post('/api/auth/login').send({ email, password }).expect(200);
  return res.body as { accessToken: string; refreshToken: string };
}

export async function loginAdmin(app: TestApp): Promise<Account> {
  const tokens = await login(app, ADMIN.email, ADMIN.password);
  const me = await request(app.url)
    .get('/api/users/me')
    .set('authorization', `Bearer ${tokens.accessToken}`)
    .expect(200);
  return {
    id: (me.body as { id: string }).id,
    email: ADMIN.email,
    password: ADMIN.password,
    ...tokens,
  };
}

export const bearer = (account: { accessToken: string }): [string, string] => [
  'authorization',
  `Bearer ${account.accessToken}`,
];

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
  const res = await request(app.url)
    .post('/api/orders')
    .set(...bearer(account))
    .send(body)
    .expect(201);
  return res.body as OrderJson;
}

/** Moves an order one step as admin and expects 200. */
export async function setOrderStatus(
  app: TestApp,
  admin: { accessToken: string },
  id: string,
  status: string,
): Promise<OrderJson> {
  const res = await request(app.url)
    .patch(`/api/orders/${id}/status`)
    .set(...bearer(admin))
    .send({ status })
    .expect(200);
  return res.body as OrderJson;
}

/** An order's status, as an admin reads it. */
export async function orderStatus(
  app: TestApp,
  admin: { accessToken: string },
  id: string,
): Promise<string> {
  const res = await request(app.url)
    .get(`/api/orders/${id}`)
    .set(...bearer(admin))
    .expect(200);
  return (res.body as OrderJson).status;
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
    const res = await request(app.url)
      .get(url)
      .set(...bearer(account))
      .expect(200);
    const body = res.body as { items: T[]; nextCursor: string | null };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    items.push(...body.items);
    cursor = body.nextCursor;
    pages += 1;
    if (pages > 1000) throw new Error('pagination does not end');
  } while (cursor !== null);
  return { items, pages };
}
