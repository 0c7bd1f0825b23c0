import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Outbox from '../../src/shared/outbox/postgres-outbox';
import { built } from '../built';
import { withBenchClient } from '../database';
import { ORDER_BODY } from '../mixed';
import { inheritedEnv } from '../processes';
import { describe, log, settings } from '../settings';
import { workspace } from '../workspace';

const PGBENCH = '/usr/bin/pgbench';

/** What pgbench reached: the writes' ceiling, with the statement it ran. */
export interface PgbenchResult {
  name: string;
  /** Transactions per second, without the initial connection time. */
  tps: number;
  latencyAverageMs: number | null;
  transactions: number | null;
  failed: number | null;
  connections: number;
  threads: number;
  durationSec: number;
  /** The one statement of each transaction, as pgbench ran it. */
  script: string;
  /**
   * For information, not a target: the same with the app's second statement per order, the
   * account view's `SELECT deleted` (each in autocommit, as the app runs them): all the database
   * work of one POST /api/orders.
   */
  withAccountCheck: { tps: number; latencyAverageMs: number | null } | null;
}

/**
 * The statement of PostgresOrderRepository.insertRow
 * (src/modules/order/persistence/postgres-order-repository.ts), before withEvents wraps it: the
 * one-order statement, which the app runs for an order with an Idempotency-Key. Orders without
 * one, as the bench's are, are group-committed by the app (`insert-orders`: the orders placed
 * while the previous group was being written, in one statement), so the ratio to this baseline
 * includes what sharing statements buys; pgbench has no way to share one between its clients.
 */
const INSERT_ORDER = `INSERT INTO orders (id, user_id, items, total_cents, currency, status, idempotency_key,
                             request_hash, idempotency_expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`;

/**
 * The writes' baseline: pgbench (-M prepared, settings.connections clients, 2 threads) running
 * the one statement POST /api/orders commits, the order row and its `order.created` outbox row
 * (withEvents, taken from the built app so that it stays the app's), in autocommit as the app
 * runs it. The parameters are the app's for the bench's order body without an Idempotency-Key
 * (key, hash and expiry NULL); the ids come from gen_random_uuid() and the times from now() in
 * Postgres, and the event is the one the app queued for the fixture's first order, with its ids
 * replaced.
 *
 * What the app does beyond this, per order: verifies the access token (a cached signature check)
 * and the rate limits' counters, validates the body, prices the order, builds the event; then
 * asks the account view whether the account was deleted (SELECT deleted FROM account_view, a
 * second statement, shared by the checks of one turn of the event loop: the account check, which
 * no longer crosses the bus); answers
 * 201 with the order's JSON and a Location; logs the request. (pgbench runs that SELECT after the
 * statement too, in a second measurement reported for information: all of an order's database
 * work, as two autocommit statements like the app's.) Its relay then claims the events (an
 * UPDATE per batch), delivers each to its handlers (the user module's order summary: one more
 * write per order, its inbox row and the user's counters) and marks them sent (an UPDATE per
 * batch), on the same 2 cores and the same Postgres, while the requests go on; pgbench's
 * rows are never relayed (no app is running) and are deleted after the measurement, so that the
 * scenarios after this one neither relay nor list them.
 *
 * The orders belong to a user of their own, so the bench user's listing does not change.
 */
export async function pgbenchBaseline(databaseUrl: string): Promise<PgbenchResult | null> {
  if (!existsSync(PGBENCH)) {
    log(`pgbench baseline skipped: ${PGBENCH} is missing (apt-get install postgresql-client)`);
    return null;
  }
  const userId = randomUUID();
  const variables = await scriptVariables(userId);
  try {
    const insert = await measurePgbench(databaseUrl, 'statement', scriptText(), variables);
    const both = await measurePgbench(
      databaseUrl,
      'statement + account check',
      `${scriptText()}${ACCOUNT_CHECK}`,
      variables,
    );
    return {
      ...insert,
      name: 'pgbench POST /api/orders statement',
      script: scriptText(),
      withAccountCheck: { tps: both.tps, latencyAverageMs: both.latencyAverageMs },
    };
  } finally {
    await removeRows(userId);
  }
}

/** PostgresAccountView.isDeleted (src/modules/order/persistence/postgres-account-view.ts). */
const ACCOUNT_CHECK = 'SELECT deleted FROM account_view WHERE user_id = :user_id;\n';

/** A warm-up (discarded), then the measured run of `script`. */
async function measurePgbench(
  databaseUrl: string,
  what: string,
  script: string,
  variables: Record<string, string>,
): Promise<ReturnType<typeof parseOutput>> {
  const file = join(workspace(), `pgbench-${what.replace(/\W+/g, '-')}.sql`);
  writeFileSync(file, script);
  if (settings.warmup > 0) {
    log(`pgbench POST /api/orders ${what}: warm-up ${settings.warmup} s`);
    await runPgbench(databaseUrl, file, variables, settings.warmup);
  }
  log(
    `pgbench POST /api/orders ${what}: measuring ${settings.duration} s at ${settings.connections} connections`,
  );
  return parseOutput(await runPgbench(databaseUrl, file, variables, settings.duration));
}

/** The app's statement with its parameters as pgbench expressions and variables. */
function scriptText(): string {
  const { withEvents } = built<typeof Outbox>('shared/outbox/postgres-outbox.js');
  const orderId = '(SELECT id FROM change LIMIT 1)';
  const event =
    `jsonb_build_array(jsonb_set(jsonb_set(jsonb_set(:event::jsonb,` +
    ` '{id}', to_jsonb(gen_random_uuid())), '{key}', to_jsonb(${orderId})),` +
    ` '{data,orderId}', to_jsonb(${orderId})))`;
  const parameters: Record<string, string> = {
    1: 'gen_random_uuid()',
    2: ':user_id',
    3: ':items',
    4: ':total_cents',
    5: ':currency',
    6: ':status',
    7: 'NULL',
    8: 'NULL',
    9: 'NULL',
    10: 'now()',
    11: 'now()',
    12: event,
  };
  const sql = withEvents(INSERT_ORDER, 12).replace(/\$(\d+)/g, (whole, n: string) => {
    const value = parameters[n];
    if (value === undefined) throw new Error(`pgbench script: no value for ${whole}`);
    return value;
  });
  return `${sql.trim()};\n`;
}

/** The variables (-D), sent as the parameters of the prepared statement. */
async function scriptVariables(userId: string): Promise<Record<string, string>> {
  const { rows } = await withBenchClient((c) =>
    c.query<{ event: string }>(
      `SELECT event::text AS event FROM cleave_order.outbox
       WHERE type = 'order.created' ORDER BY seq LIMIT 1`,
    ),
  );
  if (!rows[0]) throw new Error('pgbench baseline: no order.created event to copy in the outbox');
  const event = JSON.parse(rows[0].event) as { data: Record<string, unknown> };
  event.data.userId = userId;
  const body = JSON.parse(ORDER_BODY) as { items: unknown[]; currency: string };
  return {
    user_id: userId,
    items: JSON.stringify(body.items),
    total_cents: String(event.data.totalCents),
    currency: body.currency,
    status: 'pending',
    event: JSON.stringify(event),
  };
}

function runPgbench(
  databaseUrl: string,
  script: string,
  variables: Record<string, string>,
  seconds: number,
): Promise<string> {
  const url = new URL(databaseUrl);
  const args = [
    '-n',
    '-M',
    'prepared',
    '-c',
    String(settings.connections),
    '-j',
    '2',
    '-T',
    String(seconds),
    '-f',
    script,
    ...Object.entries(variables).flatMap(([name, value]) => ['-D', `${name}=${value}`]),
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username) || 'postgres',
    url.pathname.slice(1),
  ];
  const env = { ...inheritedEnv(), PGOPTIONS: '-c search_path=cleave_order' };
  return new Promise((resolve, reject) => {
    const child = spawn(PGBENCH, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`pgbench exited with ${code}: ${stderr.trim().slice(-1000)}`));
    });
  });
}

function parseOutput(output: string): Omit<PgbenchResult, 'script' | 'withAccountCheck'> {
  const number = (pattern: RegExp): number | null => {
    const match = pattern.exec(output);
    return match ? Number(match[1]) : null;
  };
  const tps = number(/^tps = ([\d.]+) \(without initial connection time\)/m);
  if (tps === null) throw new Error(`pgbench printed no tps:\n${output}`);
  return {
    name: 'pgbench POST /api/orders statement',
    tps,
    latencyAverageMs: number(/^latency average = ([\d.]+) ms/m),
    transactions: number(/^number of transactions actually processed: (\d+)/m),
    failed: number(/^number of failed transactions: (\d+)/m),
    connections: settings.connections,
    threads: 2,
    durationSec: settings.duration,
  };
}

/** pgbench's orders and events, and the dead rows they leave. */
async function removeRows(userId: string): Promise<void> {
  try {
    await withBenchClient(async (c) => {
      const events = await c.query(
        `DELETE FROM cleave_order.outbox WHERE event->'data'->>'userId' = $1`,
        [userId],
      );
      const orders = await c.query(`DELETE FROM cleave_order.orders WHERE user_id = $1`, [userId]);
      await c.query('VACUUM ANALYZE cleave_order.outbox, cleave_order.orders');
      log(`pgbench rows removed: ${orders.rowCount} orders, ${events.rowCount} events`);
    });
  } catch (error) {
    log(`could not remove pgbench's rows: ${describe(error)}`);
  }
}
