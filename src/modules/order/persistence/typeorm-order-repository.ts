import type { Cursor } from '../../../shared/kernel/page';
import { ModuleDatabase } from '../../../shared/persistence/module-database';
import { isUniqueViolation } from '../../../shared/persistence/pg-errors';
import { isUuid } from '../../../shared/kernel/uuid';
import type { BusEvent } from '../../../shared/bus/bus-event';
import { eventsParam, QUEUE_EVENTS_SQL, withEvents } from '../../../shared/outbox/outbox';
import type { CommitSignal } from '../../../shared/outbox/module-outbox';
import type { OrderStatus } from '../order.contract';
import type { Order } from '../order';
import type { IdempotencyClaim, KeyHolder } from './order-repository';
import { insertOrKeyTaken, OrderRepository } from './order-repository';
import type { OrderRow } from './order.row';

/** Orders on Postgres or PGlite through TypeORM. */
export class TypeOrmOrderRepository extends OrderRepository {
  constructor(
    private readonly db: ModuleDatabase,
    private readonly outbox: CommitSignal,
  ) {
    super();
  }

  async insert(
    order: Order,
    events: readonly BusEvent[],
    claim?: IdempotencyClaim,
  ): Promise<'inserted' | 'key-taken'> {
    const result = await insertOrKeyTaken(
      () => this.insertRow(toRow(order, claim), events),
      (error) => claim !== undefined && isUniqueViolation(error),
    );
    if (result === 'inserted') this.outbox.committed();
    return result;
  }

  async findByIdempotencyKey(userId: string, key: string): Promise<KeyHolder | undefined> {
    const [row] = await this.db.sql<RawOrder & { request_hash: string | null; expires_at: Date }>(
      'order-by-idempotency-key',
      `SELECT ${ORDER_COLUMNS}, request_hash, idempotency_expires_at AS expires_at
       FROM orders WHERE user_id = $1 AND idempotency_key = $2`,
      [userId, key],
    );
    if (!row) return undefined;
    return {
      order: fromRaw(row),
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
    const rows = await this.db.sql<RawOrder>('order-by-id', `${SELECT_ORDER} WHERE id = $1`, [id]);
    return rows[0] ? fromRaw(rows[0]) : undefined;
  }

  /** Keyset pagination on (created_at, id); one prepared statement per filter combination. */
  async listByUser(
    userId: string,
    limit: number,
    status?: OrderStatus,
    cursor?: Cursor,
  ): Promise<Order[]> {
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
    const rows = await this.db.sql<RawOrder>(
      name,
      `${SELECT_ORDER} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $2`,
      values,
    );
    return rows.map(fromRaw);
  }

  async transition(
    id: string,
    from: OrderStatus,
    to: OrderStatus,
    at: Date,
    events: readonly BusEvent[],
  ): Promise<Order | undefined> {
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

  async cancelAll(
    userId: string,
    from: readonly OrderStatus[],
    at: Date,
    inbox: { handler: string; eventId: string },
    eventFor: (order: Order) => BusEvent,
  ): Promise<number> {
    const cancelled = await this.db.transaction(async (query) => {
      const claimed = await query(
        `INSERT INTO inbox (handler, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
        [inbox.handler, inbox.eventId],
      );
      if (claimed.length === 0) return 0;
      const open = (
        await query<RawOrder>(
          `${SELECT_ORDER} WHERE user_id = $1 AND status = ANY($2::text[]) FOR UPDATE`,
          [userId, from],
        )
      ).map(fromRaw);
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

  private async insertRow(row: OrderRow, events: readonly BusEvent[]): Promise<void> {
    await this.db.sql(
      'insert-order',
      withEvents(
        `INSERT INTO orders (id, user_id, items, total_cents, currency, status, idempotency_key,
                             request_hash, idempotency_expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
        12,
      ),
      [
        row.id,
        row.userId,
        JSON.stringify(row.items),
        row.totalCents,
        row.currency,
        row.status,
        row.idempotencyKey,
        row.requestHash,
        row.idempotencyExpiresAt,
        row.createdAt,
        row.updatedAt,
        eventsParam(events),
      ],
    );
  }

  ping(): Promise<void> {
    return this.db.ping();
  }
}

const ORDER_COLUMNS = 'id, user_id, items, total_cents, currency, status, created_at, updated_at';
const SELECT_ORDER = `SELECT ${ORDER_COLUMNS} FROM orders`;

interface RawOrder {
  id: string;
  user_id: string;
  items: Order['items'];
  total_cents: string;
  currency: string;
  status: OrderStatus;
  created_at: Date;
  updated_at: Date;
}

function fromRaw(raw: RawOrder): Order {
  return {
    id: raw.id,
    userId: raw.user_id,
    items: raw.items,
    totalCents: Number(raw.total_cents),
    currency: raw.currency,
    status: raw.status,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}

function toRow(order: Order, claim?: IdempotencyClaim): OrderRow {
  return {
    ...order,
    idempotencyKey: claim?.key ?? null,
    requestHash: claim?.requestHash ?? null,
    idempotencyExpiresAt: claim?.expiresAt ?? null,
  };
}
