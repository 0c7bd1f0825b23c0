import type { Repository } from 'typeorm';
import type { Cursor } from '../../../shared/http/pagination';
import { ModuleDatabase } from '../../../shared/persistence/module-database';
import { isUniqueViolation } from '../../../shared/persistence/pg-errors';
import { isUuid } from '../../../shared/persistence/uuid';
import type { OrderStatus } from '../order.contract';
import type { Order } from '../order';
import { CreateResult, IdempotencyRecord, OrderRepository } from './order-repository';
import { OrderRow } from './order.row';

/** How long an Idempotency-Key holds its first response. */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Orders on Postgres or PGlite through TypeORM. */
export class TypeOrmOrderRepository extends OrderRepository {
  constructor(private readonly db: ModuleDatabase) {
    super();
  }

  private get rows(): Repository<OrderRow> {
    return this.db.dataSource.getRepository(OrderRow);
  }

  async create(order: Order, idempotency?: IdempotencyRecord): Promise<CreateResult> {
    const row = toRow(order, idempotency);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.rows.insert(row);
        return { kind: 'created', order };
      } catch (error) {
        if (!idempotency || !isUniqueViolation(error) || attempt > 0) throw error;
      }
      const existing = await this.rows.findOneBy({ userId: order.userId, idempotencyKey: idempotency.key });
      if (!existing) continue;
      if ((existing.idempotencyExpiresAt?.getTime() ?? 0) > Date.now()) {
        return { kind: 'existing', order: toOrder(existing), requestHash: existing.requestHash ?? '' };
      }
      // The key expired: release it from the old order and try once more.
      await this.rows.update(
        { id: existing.id, idempotencyKey: idempotency.key },
        { idempotencyKey: null, requestHash: null, idempotencyExpiresAt: null },
      );
    }
  }

  async findById(id: string): Promise<Order | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.rows.findOneBy({ id });
    return row ? toOrder(row) : undefined;
  }

  async listByUser(userId: string, limit: number, status?: OrderStatus, cursor?: Cursor): Promise<Order[]> {
    const query = this.rows
      .createQueryBuilder('o')
      .where('o.user_id = :userId', { userId })
      .orderBy('o.created_at', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .limit(limit);
    if (status) query.andWhere('o.status = :status', { status });
    if (cursor) query.andWhere('(o.created_at, o.id) < (:createdAt, :id)', cursor);
    return (await query.getMany()).map(toOrder);
  }

  async transition(id: string, from: OrderStatus, to: OrderStatus, at: Date): Promise<Order | undefined> {
    const result = await this.rows
      .createQueryBuilder()
      .update()
      .set({ status: to, updatedAt: at })
      .where('id = :id AND status = :from', { id, from })
      .execute();
    return result.affected ? this.findById(id) : undefined;
  }

  async findByUserAndStatus(userId: string, statuses: readonly OrderStatus[]): Promise<Order[]> {
    const rows = await this.rows
      .createQueryBuilder('o')
      .where('o.user_id = :userId AND o.status IN (:...statuses)', { userId, statuses })
      .getMany();
    return rows.map(toOrder);
  }

  ping(): Promise<void> {
    return this.db.ping();
  }
}

function toRow(order: Order, idempotency?: IdempotencyRecord): OrderRow {
  return {
    ...order,
    idempotencyKey: idempotency?.key ?? null,
    requestHash: idempotency?.requestHash ?? null,
    idempotencyExpiresAt: idempotency ? new Date(order.createdAt.getTime() + IDEMPOTENCY_TTL_MS) : null,
  };
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    userId: row.userId,
    items: row.items,
    totalCents: row.totalCents,
    currency: row.currency,
    status: row.status as OrderStatus,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
