import type { BusEvent } from '../../../shared/bus/bus-event';
import { isUuid } from '../../../shared/kernel/uuid';
import type { CommitSignal } from '../../../shared/outbox/module-outbox';
import { claimInbox } from '../../../shared/outbox/postgres-inbox';
import { eventsParam, QUEUE_EVENTS_SQL, withEvents } from '../../../shared/outbox/postgres-outbox';
import { Batcher } from '../../../shared/persistence/batcher';
import { CoalescedReads, isPositiveInt4 } from '../../../shared/persistence/coalesced-reads';
import { ModuleDatabase } from '../../../shared/persistence/module-database';
import { isConnectionLost, isUniqueViolation } from '../../../shared/persistence/pg-errors';
import type { OrderStatus } from '../order.contract';
import type { Order } from '../order';
import {
  insertOrKeyTaken,
  OrderRepository,
  type Cancellation,
  type IdempotencyClaim,
  type KeyHolder,
  type OrderListing,
  type StatusChange,
} from './order-repository';

/**
 * Orders on Postgres or PGlite, in the table `orders` of the module's schema (its migrations
 * are in `migrations/`). Every statement is raw SQL through `ModuleDatabase`; events ride in the
 * same statement (`withEvents`) or transaction.
 */
export class PostgresOrderRepository extends OrderRepository {
  constructor(
    private readonly db: ModuleDatabase,
    private readonly outbox: CommitSignal,
  ) {
    super();
  }

  /**
   * One statement: the order and its events. Orders without an Idempotency-Key placed at the
   * same time share it (`Batcher`, group commit): each caller's promise settles once the
   * statement that carried its order has committed, and a shared statement that fails is retried
   * one order at a time, so one bad order fails alone; an order that was alone in its statement
   * is written once more when the statement's connection broke. A statement may so be written
   * again after it committed (its answer lost with the connection): an order already stored as
   * itself is then taken as stored, its events not queued twice, rather than failing a caller
   * whose order is in the database.
   */
  insert(
    order: Order,
    events: readonly BusEvent[],
    claim?: IdempotencyClaim,
  ): Promise<'inserted' | 'key-taken'> {
    return insertOrKeyTaken(
      () => (claim ? this.insertRow(order, events, claim) : this.inserts.add({ order, events })),
      (error) => claim !== undefined && isUniqueViolation(error),
      this.outbox,
    );
  }

  private readonly inserts = new Batcher<{ order: Order; events: readonly BusEvent[] }>(
    async (placed) => {
      // The ids of given orders that were already stored: this statement written again after it
      // committed, or (never, with ids made here) another order's id.
      const skipped = await this.db.sql<{ id: string }>(
        'insert-orders',
        `WITH given AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS o(id uuid, "userId" uuid, items jsonb,
             "totalCents" bigint, currency text, status text, "createdAt" timestamptz,
             "updatedAt" timestamptz, events jsonb)
         ),
         change AS (
           INSERT INTO orders (id, user_id, items, total_cents, currency, status, created_at,
                               updated_at)
           SELECT id, "userId", items, "totalCents", currency, status, "createdAt", "updatedAt"
           FROM given
           ON CONFLICT (id) DO NOTHING
           RETURNING id
         ),
         queued AS (
           INSERT INTO outbox (id, type, event)
           SELECT (e->>'id')::uuid, e->>'type', e
           FROM given JOIN change USING (id),
             jsonb_array_elements(given.events) WITH ORDINALITY AS x(e, n)
           ORDER BY given.id, x.n
           RETURNING 1
         )
         SELECT id FROM given WHERE id NOT IN (SELECT id FROM change)`,
        [JSON.stringify(placed.map(({ order, events }) => ({ ...order, events })))],
      );
      if (skipped.length === 0) return;
      // Read in a statement of its own: the one above saw the table as it was when it started,
      // and the row it waited for (the first writing, committed by a connection that broke) may
      // be newer than that.
      const held = new Map(
        (
          await this.db.sql<{ id: string; user_id: string; created_at: Date }>(
            'orders-held',
            'SELECT id, user_id, created_at FROM orders WHERE id = ANY($1::uuid[])',
            [skipped.map((row) => row.id)],
          )
        ).map((row) => [row.id, row]),
      );
      const storedAsItself = ({ id, userId, createdAt }: Order) => {
        const row = held.get(id);
        return (
          row?.user_id === userId.toLowerCase() && row.created_at.getTime() === createdAt.getTime()
        );
      };
      const taken = new Set(skipped.map((row) => row.id));
      return new Map(
        placed.flatMap(({ order }, i) =>
          taken.has(order.id) && !storedAsItself(order)
            ? [[i, new Error(`order ${order.id} not stored: another order has its id`)]]
            : [],
        ),
      );
    },
    500,
    isConnectionLost,
  );

  async findByIdempotencyKey(userId: string, key: string): Promise<KeyHolder | undefined> {
    const [row] = await this.db.sql<OrderRow & { request_hash: string | null; expires_at: Date }>(
      'order-by-idempotency-key',
      `SELECT ${ORDER_COLUMNS}, request_hash, idempotency_expires_at AS expires_at
       FROM orders WHERE user_id = $1 AND idempotency_key = $2`,
      [userId, key],
    );
    if (!row) return undefined;
    return {
      order: toOrder(row),
      claim: { key, requestHash: row.request_hash ?? '', expiresAt: row.expires_at },
    };
  }

  async releaseIdempotencyKey(orderId: string, key: string): Promise<void> {
    await this.db.sql(
      'release-idempotency-key',
      `UPDATE orders SET idempotency_key = NULL, request_hash = NULL, idempotency_expires_at = NULL
       WHERE id = $1 AND idempotency_key = $2`,
      [orderId, key],
    );
  }

  async findById(id: string): Promise<Order | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.sql<OrderRow>('order-by-id', `${SELECT_ORDER} WHERE id = $1`, [id]);
    return rows[0] ? toOrder(rows[0]) : undefined;
  }

  /**
   * Keyset pagination on (created_at, id); one prepared statement per filter combination. A
   * first page without a status filter, the one most asked for, is read with the others asked
   * for in the same turn (`CoalescedReads`).
   */
  async listByUser(userId: string, listing: OrderListing): Promise<Order[]> {
    const { limit, status, cursor } = listing;
    // Only keys that cannot fail the statement they share: a uuid and a positive int4 limit.
    const shared = !status && !cursor && isUuid(userId) && isPositiveInt4(limit);
    const rows = shared
      ? await this.firstPages.read(`${userId} ${limit}`)
      : await this.page(userId, listing);
    return rows.map(toOrder);
  }

  /** One page of a user's orders, in one statement of its own. */
  private page(userId: string, { limit, status, cursor }: OrderListing): Promise<OrderRow[]> {
    const where = ['user_id = $1'];
    const values: unknown[] = [userId, limit];
    if (status) {
      values.push(status);
      where.push(`status = $${values.length}`);
    }
    if (cursor) {
      values.push(cursor.createdAt, cursor.id);
      where.push(`(created_at, id) < ($${values.length - 1}, $${values.length})`);
    }
    const name = `orders-by-user${status ? '-status' : ''}${cursor ? '-after' : ''}`;
    return this.db.sql<OrderRow>(
      name,
      `${SELECT_ORDER} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $2`,
      values,
    );
  }

  /**
   * First pages of users' orders, by `<user id> <limit>`: alone, `page`'s statement; together,
   * one statement for them all.
   */
  private readonly firstPages = new CoalescedReads<OrderRow[]>(
    (key) => {
      const [userId, limit] = key.split(' ');
      return this.page(userId, { limit: Number(limit) });
    },
    async (keys) => {
      const pages = [...new Set(keys)];
      const [users, limits] = [0, 1].map((part) => pages.map((page) => page.split(' ')[part]));
      const rows = await this.db.sql<OrderRow & { page: string }>(
        'orders-by-users',
        `SELECT p.page, o.* FROM unnest($1::uuid[], $2::int[]) WITH ORDINALITY AS p(user_id, n, page)
         CROSS JOIN LATERAL (
           ${SELECT_ORDER} WHERE user_id = p.user_id ORDER BY created_at DESC, id DESC LIMIT p.n
         ) o
         ORDER BY p.page, o.created_at DESC, o.id DESC`,
        [`{${users.join(',')}}`, `{${limits.join(',')}}`],
      );
      const found = new Map<string, OrderRow[]>();
      for (const { page, ...row } of rows) {
        const key = pages[Number(page) - 1];
        const list = found.get(key);
        if (list) list.push(row);
        else found.set(key, [row]);
      }
      return found;
    },
    [],
  );

  async transition({ id, from, to, at, events }: StatusChange): Promise<Order | undefined> {
    const [result] = await this.db.sql<{ changed: number }>(
      'transition-order',
      withEvents(
        `UPDATE orders SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2 RETURNING id`,
        5,
      ),
      [id, from, to, at, eventsParam(events)],
    );
    if (!result?.changed) return undefined;
    this.outbox.committed();
    return this.findById(id);
  }

  /** One transaction: the inbox claim, the open orders locked, cancelled, and their events. */
  async cancelAll({ userId, from, at, inbox, eventFor }: Cancellation): Promise<number> {
    const cancelled = await this.db.transaction(async (query) => {
      const claimed = await query(claimInbox('VALUES ($1, $2)'), [inbox.handler, inbox.eventId]);
      if (claimed.length === 0) return 0;
      const open = (
        await query<OrderRow>(
          `${SELECT_ORDER} WHERE user_id = $1 AND status = ANY($2::text[]) FOR UPDATE`,
          [userId, from],
        )
      ).map(toOrder);
      if (open.length === 0) return 0;
      await query(
        `UPDATE orders SET status = 'cancelled', updated_at = $2 WHERE id = ANY($1::uuid[])`,
        [open.map((o) => o.id), at],
      );
      await query(QUEUE_EVENTS_SQL, [eventsParam(open.map(eventFor))]);
      return open.length;
    });
    if (cancelled > 0) this.outbox.committed();
    return cancelled;
  }

  ping(): Promise<void> {
    return this.db.ping();
  }

  private async insertRow(
    order: Order,
    events: readonly BusEvent[],
    claim: IdempotencyClaim | undefined,
  ): Promise<void> {
    await this.db.sql(
      'insert-order',
      withEvents(
        `INSERT INTO orders (id, user_id, items, total_cents, currency, status, idempotency_key,
                             request_hash, idempotency_expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
        12,
      ),
      [
        order.id,
        order.userId,
        JSON.stringify(order.items),
        order.totalCents,
        order.currency,
        order.status,
        claim?.key ?? null,
        claim?.requestHash ?? null,
        claim?.expiresAt ?? null,
        order.createdAt,
        order.updatedAt,
        eventsParam(events),
      ],
    );
  }
}

/** The columns of `OrderRow`. */
const ORDER_COLUMNS = 'id, user_id, items, total_cents, currency, status, created_at, updated_at';
const SELECT_ORDER = `SELECT ${ORDER_COLUMNS} FROM orders`;

/**
 * A row of `orders` as this adapter reads it (`ORDER_COLUMNS`): the order without its
 * Idempotency-Key columns. Never leaves this file.
 */
interface OrderRow {
  id: string;
  user_id: string;
  items: Order['items'];
  /** `bigint`, which the driver hands over as a string. */
  total_cents: string;
  currency: string;
  status: OrderStatus;
  created_at: Date;
  updated_at: Date;
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    userId: row.user_id,
    items: row.items,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
