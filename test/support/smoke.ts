import { expect } from '@jest/globals';
import { eventually, uniqueEmail } from './api';

const ORDER = {
  currency: 'EUR',
  items: [{ sku: 'SMOKE-1', name: 'Widget', quantity: 2, unitPriceCents: 1250 }],
};

async function send(
  url: string,
  method: string,
  path: string,
  {
    token,
    body,
    headers = {},
  }: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: res.headers,
  };
}

/**
 * The API smoke suite: one journey through every module, against any front (one process, the
 * gateway of the split shape, a container, what a chart renders). Sign up, log in, read and
 * rename the profile, place an order (and replay it by Idempotency-Key), list and read it,
 * watch the summary follow, cancel it, refresh the session, log out, and see the token refused.
 */
export async function apiSmoke(url: string): Promise<void> {
  const health = await send(url, 'GET', '/health');
  expect(health.status).toBe(200);
  const email = uniqueEmail('smoke');
  const password = 'correct-horse-1';
  const created = await send(url, 'POST', '/api/users', {
    body: { email, password, name: 'Smoke' },
  });
  expect(created.status).toBe(201);
  expect(created.headers.get('x-request-id')).toBeTruthy();
  const login = await send(url, 'POST', '/api/auth/login', { body: { email, password } });
  expect(login.status).toBe(200);
  const { accessToken: token, refreshToken } = login.json as {
    accessToken: string;
    refreshToken: string;
  };
  expect((await send(url, 'GET', '/api/users/me', { token })).json).toMatchObject({
    email,
    name: 'Smoke',
  });
  expect(
    (await send(url, 'PATCH', '/api/users/me', { token, body: { name: 'Smoked' } })).status,
  ).toBe(200);

  const key = { 'idempotency-key': `smoke-${Date.now()}` };
  const order = await send(url, 'POST', '/api/orders', { token, body: ORDER, headers: key });
  expect(order.status).toBe(201);
  expect(order.json).toMatchObject({ status: 'pending', totalCents: 2500 });
  const replay = await send(url, 'POST', '/api/orders', { token, body: ORDER, headers: key });
  expect({
    status: replay.status,
    id: replay.json.id,
    replayed: replay.headers.get('idempotent-replayed'),
  }).toEqual({
    status: 201,
    id: order.json.id,
    replayed: 'true',
  });
  const list = await send(url, 'GET', '/api/orders?limit=10', { token });
  expect((list.json.items as Array<{ id: string }>).map((o) => o.id)).toEqual([order.json.id]);
  expect((await send(url, 'GET', `/api/orders/${String(order.json.id)}`, { token })).status).toBe(
    200,
  );
  await eventually(async () => {
    const me = await send(url, 'GET', '/api/users/me', { token });
    expect(me.json.orderSummary).toEqual({ total: 1, open: 1 });
  }, 10_000);
  const cancelled = await send(url, 'POST', `/api/orders/${String(order.json.id)}/cancel`, {
    token,
  });
  expect(cancelled.json).toMatchObject({ status: 'cancelled' });
  await eventually(async () => {
    const me = await send(url, 'GET', '/api/users/me', { token });
    expect(me.json.orderSummary).toEqual({ total: 1, open: 0 });
  }, 10_000);
  expect((await send(url, 'GET', '/api/users', { token })).status).toBe(403);

  const refreshed = await send(url, 'POST', '/api/auth/refresh', { body: { refreshToken } });
  expect(refreshed.status).toBe(200);
  const next = refreshed.json as { accessToken: string; refreshToken: string };
  const out = await send(url, 'POST', '/api/auth/logout', {
    token: next.accessToken,
    body: { refreshToken: next.refreshToken },
  });
  expect(out.status).toBe(204);
  await eventually(async () => {
    expect((await send(url, 'GET', '/api/users/me', { token: next.accessToken })).status).toBe(401);
  }, 1000);
  const jwks = await send(url, 'GET', '/api/auth/jwks');
  expect((jwks.json.keys as unknown[]).length).toBeGreaterThan(0);
}
