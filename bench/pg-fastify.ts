/**
 * The database-plus-HTTP baseline for `npm run bench`: Fastify (no logger, no plugins) and
 * node-postgres running the SQL the app runs for three reads, one statement per request, and
 * answering the JSON the app answers, byte for byte:
 *   - GET /api/users/me          the user module's `user-by-id` prepared statement
 *   - GET /api/orders?limit=N    the order module's `orders-by-user` prepared statement (N + 1 rows)
 *   - GET /api/users?limit=N     the user module's `users-page` prepared statement
 * (The app runs the first two so when a read is alone in its turn of the event loop; reads of
 * the same turn share one statement, `users-by-ids` or `orders-by-users`: CoalescedReads, in
 * src/shared/persistence. The baseline is the straightforward server, one round trip a request.)
 * One pool per module of the app's size (`max: 10`, src/shared/persistence/module-database.ts),
 * each on its module's schema. It verifies no token and checks no role: the user is the bearer
 * token's subject, read without a check (BENCH_USER_ID without a token), so what it measures is
 * the limit of the database and HTTP alone at one statement per request, the ceiling the app's
 * reads are held to (bench/targets.ts), and which its coalesced reads can pass.
 *
 * Env: PORT (required), HOST (default 127.0.0.1, loopback only), BENCH_DATABASE_URL (required,
 * loopback), BENCH_USER_ID (required).
 */
import fastify, { type FastifyRequest } from 'fastify';
import { Pool, type QueryConfig } from 'pg';
import { isLoopback, serveBaseline, type BaselineServer } from './baseline-server';

/** The app's pool size per module. */
const POOL_MAX = 10;

const USER_COLUMNS = `id, email, email_normalized, name, password_hash, roles, orders_total, orders_open,
              created_at, updated_at`;

/** src/modules/user/persistence/postgres-user-repository.ts, findById. */
const USER_BY_ID = `SELECT ${USER_COLUMNS}
       FROM users WHERE id = $1`;

/** src/modules/order/persistence/postgres-order-repository.ts, listByUser without filters. */
const ORDERS_BY_USER =
  'SELECT id, user_id, items, total_cents, currency, status, created_at, updated_at FROM orders' +
  ' WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2';

/** src/modules/user/persistence/postgres-user-repository.ts, list without a cursor. */
const USERS_PAGE = `SELECT ${USER_COLUMNS} FROM users ORDER BY created_at DESC, id DESC LIMIT $1`;

interface UserRow {
  id: string;
  email: string;
  name: string;
  roles: string[];
  orders_total: number;
  orders_open: number;
  created_at: Date;
  updated_at: Date;
}

interface OrderRow {
  id: string;
  user_id: string;
  items: Array<{ sku: string; name: string; quantity: number; unitPriceCents: number }>;
  total_cents: string;
  currency: string;
  status: string;
  created_at: Date;
  updated_at: Date;
}

/** toUserDto's field list. */
function userJson(row: UserRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles,
    orderSummary: { total: row.orders_total, open: row.orders_open },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** toOrderDto's field list. */
function orderJson(row: OrderRow) {
  return {
    id: row.id,
    userId: row.user_id,
    items: row.items.map(({ sku, name, quantity, unitPriceCents }) => ({
      sku,
      name,
      quantity,
      unitPriceCents,
    })),
    totalCents: Number(row.total_cents),
    currency: row.currency,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** src/shared/http/pagination.ts: toPage and encodeCursor. */
function page<Row extends { id: string; created_at: Date }, T>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(`${last.created_at.toISOString()}|${last.id}`).toString('base64url')
        : null,
  };
}

/**
 * The subject of the request's bearer token, unverified; `fallback` without one. Remembered per
 * token, as the app remembers the tokens it verified, so that it costs a lookup per request.
 */
const subjects = new Map<string, string>();
function subjectOf(request: FastifyRequest, fallback: string): string {
  const { authorization } = request.headers;
  if (!authorization) return fallback;
  let subject = subjects.get(authorization);
  if (subject === undefined) {
    const payload = authorization.split('.')[1] ?? '';
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString() || '{}') as {
      sub?: string;
    };
    subject = claims.sub ?? fallback;
    subjects.set(authorization, subject);
  }
  return subject;
}

function limitOf(query: unknown): number {
  const raw = (query as { limit?: string }).limit;
  const limit = raw === undefined ? 20 : Number(raw);
  return Number.isInteger(limit) && limit >= 1 && limit <= 100 ? limit : 20;
}

function poolOn(url: string, schema: string): Pool {
  return new Pool({
    connectionString: url,
    max: POOL_MAX,
    options: `-c search_path="${schema}"`,
  });
}

function main(): Promise<BaselineServer> {
  const url = process.env.BENCH_DATABASE_URL ?? '';
  const userId = process.env.BENCH_USER_ID ?? '';
  if (!url || !isLoopback(new URL(url).hostname))
    throw new Error('BENCH_DATABASE_URL must be set, on a loopback address');
  if (!userId) throw new Error('BENCH_USER_ID must be set');
  const users = poolOn(url, 'cleave_user');
  const orders = poolOn(url, 'cleave_order');
  const rows = async <Row>(pool: Pool, query: QueryConfig): Promise<Row[]> =>
    (await pool.query(query)).rows as Row[];

  const app = fastify({ logger: false });
  app.get('/api/users/me', async (request, reply) => {
    const [row] = await rows<UserRow>(users, {
      name: 'user.user-by-id',
      text: USER_BY_ID,
      values: [subjectOf(request, userId)],
    });
    if (!row) return reply.status(401).send();
    return userJson(row);
  });
  app.get('/api/orders', async (request) => {
    const limit = limitOf(request.query);
    const found = await rows<OrderRow>(orders, {
      name: 'order.orders-by-user',
      text: ORDERS_BY_USER,
      values: [subjectOf(request, userId), limit + 1],
    });
    return page(found, limit, orderJson);
  });
  app.get('/api/users', async (request) => {
    const limit = limitOf(request.query);
    const found = await rows<UserRow>(users, {
      name: 'user.users-page',
      text: USERS_PAGE,
      values: [limit + 1],
    });
    return page(found, limit, userJson);
  });
  app.get('/ready', async () => {
    await users.query('SELECT 1');
    return { status: 'ok' };
  });

  return Promise.resolve({ app, release: () => Promise.all([users.end(), orders.end()]) });
}

serveBaseline('pg-fastify', main);
