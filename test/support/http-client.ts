import { expect } from '@jest/globals';
import { OPEN_ORDER_STATUSES, type OrderStatus } from '../../src/modules/order/order.contract';
import { eventually, uniqueEmail } from './api';
import { loadConfig } from '../../src/shared/config/config';

/** A client of a running cleave (one process, a module process, or the gateway). */
export interface Client {
  url: string;
  token: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies of several shapes
type Json = any;

/** One request with the client's token; the body as JSON, undefined when there is none. */
export async function call(
  client: Client,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(`${client.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${client.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    json: await res.json().catch(() => undefined),
    headers: res.headers,
  };
}

/** Signs up and logs in a fresh user; its access token. */
export async function signUp(
  url: string,
): Promise<{ email: string; password: string; token: string }> {
  const email = uniqueEmail('proc');
  const password = 'correct-horse-1';
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  expect((await post('/api/users', { email, password, name: 'Proc' })).status).toBe(201);
  const tokens = (await (await post('/api/auth/login', { email, password })).json()) as {
    accessToken: string;
  };
  return { email, password, token: tokens.accessToken };
}

/** Every order of the caller, walking all pages. */
export async function allOrders(
  client: Client,
): Promise<Array<{ id: string; status: OrderStatus }>> {
  const items: Array<{ id: string; status: OrderStatus }> = [];
  let cursor: string | null = null;
  do {
    const page = await call(
      client,
      'GET',
      `/api/orders?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.status).toBe(200);
    items.push(...(page.json.items as Array<{ id: string; status: OrderStatus }>));
    cursor = page.json.nextCursor as string | null;
  } while (cursor);
  return items;
}

/**
 * Nothing lost, nothing counted twice: every order in `mustExist` (those that got 201) is
 * there, and the summary, once the events are through, equals what the orders say.
 */
export async function expectExactSummary(
  client: Client,
  mustExist: Iterable<string> = [],
  timeoutMs = 15_000,
): Promise<Array<{ id: string; status: OrderStatus }>> {
  const orders = await eventually(async () => {
    const all = await allOrders(client);
    const ids = new Set(all.map((o) => o.id));
    for (const id of mustExist) expect(ids.has(id)).toBe(true);
    return all;
  }, timeoutMs);
  const open = orders.filter((o) => OPEN_ORDER_STATUSES.includes(o.status)).length;
  await eventually(async () => {
    const me = await call(client, 'GET', '/api/users/me');
    expect(me.json.orderSummary).toEqual({ total: orders.length, open });
  }, timeoutMs);
  return orders;
}

const ORDER = {
  currency: 'EUR',
  items: [{ sku: 'SKU-1', name: 'Widget', quantity: 1, unitPriceCents: 500 }],
};

export interface Outcome {
  /** When the answer (or the failure) came. */
  at: number;
  status?: number;
  id?: string;
  error?: string;
}

/** `workers` clients placing orders back to back until `stop()`; every outcome is kept. */
export function constantLoad(client: Client, workers = 4) {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const res = await call(client, 'POST', '/api/orders', ORDER);
        outcomes.push({
          at: Date.now(),
          status: res.status,
          id: res.json?.id as string | undefined,
        });
      } catch (error) {
        outcomes.push({
          at: Date.now(),
          error: error instanceof Error ? error.message : String(error),
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  const created = () => outcomes.filter((o) => o.status === 201).map((o) => o.id!);
  return {
    outcomes,
    /** The ids of the orders that got 201. */
    created,
    /** Resolves once more than `count` orders were placed (the load is really running). */
    async warmedUp(count = 5, timeoutMs = 20_000) {
      await eventually(
        () => Promise.resolve(expect(created().length).toBeGreaterThan(count)),
        timeoutMs,
      );
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * What one access token may ask for in a minute under the default rate limits
 * (`RATE_LIMIT_PER_TOKEN_PER_MINUTE`, which neither the chart nor the image sets): a burst's
 * client never goes past it, or the answers a faster machine gets are 429s, as they should be.
 */
const TOKEN_BUDGET_PER_MINUTE = loadConfig({}).http.rateLimits.perToken;

/**
 * The bench's mix as a burst: `clients` new users, each signing up, logging in, then placing
 * orders and reading its list and profile back to back for `durationMs`, or until it has made
 * the requests its token may make in a minute (the burst is shorter than that). What a memory
 * limit must hold through. Every answer that is not a success is kept with what was asked.
 */
export async function mixedBurst(
  url: string,
  { clients = 16, durationMs = 15_000 } = {},
): Promise<{ sent: number; failures: string[] }> {
  let sent = 0;
  const failures: string[] = [];
  const until = Date.now() + durationMs;
  const expectOk = async (what: string, request: Promise<{ status: number }>) => {
    sent += 1;
    try {
      const { status } = await request;
      if (status >= 300) failures.push(`${what}: ${status}`);
    } catch (error) {
      failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  await Promise.all(
    Array.from({ length: clients }, async () => {
      sent += 2;
      let client: Client;
      try {
        const account = await signUp(url);
        client = { url, token: account.token };
      } catch (error) {
        failures.push(
          `sign-up and login: ${error instanceof Error ? error.message : String(error)}`,
        );
        return;
      }
      for (let made = 0; made + 3 <= TOKEN_BUDGET_PER_MINUTE && Date.now() < until; made += 3) {
        await expectOk('POST /api/orders', call(client, 'POST', '/api/orders', ORDER));
        await expectOk('GET /api/orders', call(client, 'GET', '/api/orders?limit=20'));
        await expectOk('GET /api/users/me', call(client, 'GET', '/api/users/me'));
      }
    }),
  );
  return { sent, failures };
}
