import { Schema, type Model } from 'mongoose';
import type { BusEvent } from '../../../shared/bus/bus-event';
import type { CommitSignal } from '../../../shared/outbox/module-outbox';
import { MongoInbox } from '../../../shared/outbox/mongo-inbox';
import {
  addOutbox,
  newOutbox,
  outboxItems,
  outboxWrite,
  type OutboxFields,
  toUpdate,
} from '../../../shared/outbox/mongo-outbox';
import { MongoOutboxRepository } from '../../../shared/outbox/mongo-outbox-repository';
import type { OutboxRepository } from '../../../shared/outbox/outbox-repository';
import type { MongoDatabase } from '../../../shared/persistence/mongo-database';
import { ORDER_STATUSES, type OrderStatus } from '../order.contract';
import type { Order, OrderItem } from '../order';
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
 * An order document: the order, its Idempotency-Key, and the events of its changes (its
 * outbox). Never leaves this file.
 */
interface OrderDocument extends OutboxFields {
  userId: string;
  items: OrderItem[];
  totalCents: number;
  currency: string;
  status: OrderStatus;
  idempotency?: { key: string; requestHash: string; expiresAt: Date };
  createdAt: Date;
  updatedAt: Date;
}

const ORDER_SCHEMA = new Schema<OrderDocument>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    items: {
      type: [
        new Schema<OrderItem>(
          { sku: String, name: String, quantity: Number, unitPriceCents: Number },
          { _id: false },
        ),
      ],
      required: true,
    },
    totalCents: { type: Number, required: true },
    currency: { type: String, required: true },
    status: { type: String, required: true, enum: ORDER_STATUSES },
    idempotency: new Schema({ key: String, requestHash: String, expiresAt: Date }, { _id: false }),
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'orders', versionKey: false, id: false, strict: 'throw', strictQuery: 'throw' },
);
addOutbox(ORDER_SCHEMA);
// The user's orders newest first (keyset on createdAt, _id), with and without a status filter.
ORDER_SCHEMA.index({ userId: 1, createdAt: -1, _id: -1 });
ORDER_SCHEMA.index({ userId: 1, status: 1, createdAt: -1, _id: -1 });
// One order per user and Idempotency-Key.
ORDER_SCHEMA.index(
  { userId: 1, 'idempotency.key': 1 },
  { unique: true, partialFilterExpression: { 'idempotency.key': { $exists: true } } },
);

/** The orders' model on `db`. */
function ordersOn(db: MongoDatabase): Model<OrderDocument> {
  return db.model('Order', ORDER_SCHEMA);
}

/** How often a version-checked write is retried after losing a race. */
const MAX_RACES = 20;

/**
 * Orders on MongoDB, one document per order. Every change is one atomic, version-checked
 * document write that carries its events (the outbox is embedded), so no multi-document
 * transaction is needed and a standalone `mongod` serves.
 */
export class MongoOrderRepository extends OrderRepository {
  private constructor(
    private readonly orders: Model<OrderDocument>,
    private readonly inbox: MongoInbox,
    private readonly db: MongoDatabase,
    private readonly outbox: CommitSignal,
  ) {
    super();
  }

  /** Opens the repository on `db`, building its indexes; `outbox` hears of every commit. */
  static async open(db: MongoDatabase, outbox: CommitSignal): Promise<MongoOrderRepository> {
    const orders = ordersOn(db);
    await orders.createIndexes();
    return new MongoOrderRepository(orders, MongoInbox.open(db), db, outbox);
  }

  /** The relay's view of the events embedded in the order documents. */
  static outboxRepository(db: MongoDatabase): OutboxRepository {
    return new MongoOutboxRepository(ordersOn(db) as unknown as Model<OutboxFields>);
  }

  insert(
    order: Order,
    events: readonly BusEvent[],
    claim?: IdempotencyClaim,
  ): Promise<'inserted' | 'key-taken'> {
    return insertOrKeyTaken(
      () =>
        this.orders.insertOne({
          _id: order.id,
          userId: order.userId,
          items: order.items,
          totalCents: order.totalCents,
          currency: order.currency,
          status: order.status,
          createdAt: order.createdAt,
          updatedAt: order.updatedAt,
          ...(claim && { idempotency: { ...claim } }),
          ...newOutbox(events, order.createdAt),
        }),
      (error) => claim !== undefined && isDuplicateKey(error),
      this.outbox,
    );
  }

  async findByIdempotencyKey(userId: string, key: string): Promise<KeyHolder | undefined> {
    const doc = await this.orders.findOne({ userId, 'idempotency.key': key }).lean<OrderDocument>();
    if (!doc?.idempotency) return undefined;
    const { requestHash, expiresAt } = doc.idempotency;
    return { order: toOrder(doc), claim: { key, requestHash, expiresAt } };
  }

  async releaseIdempotencyKey(orderId: string, key: string): Promise<void> {
    await this.orders.updateOne(
      { _id: orderId, 'idempotency.key': key },
      { $unset: { idempotency: '' }, $inc: { version: 1 } },
    );
  }

  async findById(id: string): Promise<Order | undefined> {
    const doc = await this.orders.findById(id).lean<OrderDocument>();
    return doc ? toOrder(doc) : undefined;
  }

  async listByUser(userId: string, { limit, status, cursor }: OrderListing): Promise<Order[]> {
    const filter: Record<string, unknown> = { userId };
    if (status) filter.status = status;
    if (cursor) {
      filter.$or = [
        { createdAt: { $lt: cursor.createdAt } },
        { createdAt: cursor.createdAt, _id: { $lt: cursor.id } },
      ];
    }
    const docs = await this.orders
      .find(filter)
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .lean<OrderDocument[]>();
    return docs.map(toOrder);
  }

  async transition({ id, from, to, at, events }: StatusChange): Promise<Order | undefined> {
    const changed = await this.change(id, [from], to, at, () => events);
    if (changed) this.outbox.committed();
    return changed;
  }

  /**
   * Without transactions, the once-only guarantee comes from the documents themselves: each
   * order is cancelled by one version-checked write that carries its event, and an order
   * already cancelled is skipped, so a redelivered event changes nothing. The inbox entry,
   * written last, lets later redeliveries skip the query.
   */
  async cancelAll({ userId, from, at, inbox, eventFor }: Cancellation): Promise<number> {
    if (await this.inbox.handled(inbox)) return 0;
    const open = await this.orders
      .find({ userId, status: { $in: from } }, { _id: 1 })
      .lean<Array<{ _id: string }>>();
    let cancelled = 0;
    for (const { _id } of open) {
      if (await this.change(_id, from, 'cancelled', at, (order) => [eventFor(order)]))
        cancelled += 1;
    }
    await this.inbox.record(inbox, at);
    if (cancelled > 0) this.outbox.committed();
    return cancelled;
  }

  ping(): Promise<void> {
    return this.db.ping();
  }

  /**
   * Moves the order from one of `from` to `to` with its events, in one version-checked write;
   * re-reads and decides again after losing a race. Undefined when it is no longer in `from`.
   */
  private async change(
    id: string,
    from: readonly OrderStatus[],
    to: OrderStatus,
    at: Date,
    eventsFor: (order: Order) => readonly BusEvent[],
  ): Promise<Order | undefined> {
    for (let race = 0; race < MAX_RACES; race++) {
      const doc = await this.orders.findById(id).lean<OrderDocument>();
      if (!doc || !from.includes(doc.status)) return undefined;
      const write = outboxWrite(
        [...doc.outbox, ...outboxItems(eventsFor(toOrder(doc)), at)],
        doc.parked,
        doc.version,
      );
      write.$set.status = to;
      write.$set.updatedAt = at;
      const result = await this.orders.updateOne(
        { _id: id, version: doc.version },
        toUpdate(write),
      );
      if (result.matchedCount === 1) return { ...toOrder(doc), status: to, updatedAt: at };
    }
    throw new Error(`order ${id} kept changing under concurrent writes`);
  }
}

function toOrder(doc: OrderDocument): Order {
  return {
    id: doc._id,
    userId: doc.userId,
    items: doc.items.map(({ sku, name, quantity, unitPriceCents }) => ({
      sku,
      name,
      quantity,
      unitPriceCents,
    })),
    totalCents: doc.totalCents,
    currency: doc.currency,
    status: doc.status,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number } | null)?.code === 11000;
}
