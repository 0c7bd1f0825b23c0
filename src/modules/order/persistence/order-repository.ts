import type { BusEvent } from '../../../shared/bus/bus-event';
import type { Cursor } from '../../../shared/kernel/page';
import type { CommitSignal } from '../../../shared/outbox/module-outbox';
import type { OrderStatus } from '../order.contract';
import type { Order } from '../order';

/** An Idempotency-Key held by one order of its user until `expiresAt`. */
export interface IdempotencyClaim {
  key: string;
  requestHash: string;
  expiresAt: Date;
}

/** The order that holds a user's Idempotency-Key, with the claim as stored. */
export interface KeyHolder {
  order: Order;
  claim: IdempotencyClaim;
}

/** A compare-and-set on an order's status, with the events the change queues. */
export interface StatusChange {
  id: string;
  /** The status the order must still have. */
  from: OrderStatus;
  to: OrderStatus;
  at: Date;
  events: readonly BusEvent[];
}

/** Which of a user's orders to list: up to `limit`, of `status` if given, after `cursor`. */
export interface OrderListing {
  limit: number;
  status?: OrderStatus;
  cursor?: Cursor;
}

/** Cancelling a user's open orders for one event a handler applies. */
export interface Cancellation {
  userId: string;
  /** The statuses an order is cancelled from. */
  from: readonly OrderStatus[];
  at: Date;
  /** The handler and the event: the orders are cancelled once per pair. */
  inbox: { handler: string; eventId: string };
  /** The event each cancelled order queues. */
  eventFor: (order: Order) => BusEvent;
}

/**
 * The orders, in the module's database: atomic primitives only, speaking `Order`. What they
 * mean (when a key has expired, what to do when it is taken, which statuses may change) is
 * decided by the use cases, on their clock. Adapters: `PostgresOrderRepository` (Postgres or
 * PGlite), `MongoOrderRepository`; `test/int/order-repository.int-spec.ts` is the contract every
 * adapter passes.
 */
export abstract class OrderRepository {
  /**
   * Inserts the order, its events and its claim on the key as one atomic write. `key-taken`
   * (and nothing written) when another order of the user holds the key, expired or not.
   */
  abstract insert(
    order: Order,
    events: readonly BusEvent[],
    claim?: IdempotencyClaim,
  ): Promise<'inserted' | 'key-taken'>;

  /** The order of `userId` that holds `key`, if any. */
  abstract findByIdempotencyKey(userId: string, key: string): Promise<KeyHolder | undefined>;

  /** Compare-and-clear: the order gives up `key` if it still holds it. */
  abstract releaseIdempotencyKey(orderId: string, key: string): Promise<void>;

  abstract findById(id: string): Promise<Order | undefined>;

  /** The user's orders, newest first (see `OrderListing`). */
  abstract listByUser(userId: string, listing: OrderListing): Promise<Order[]>;

  /**
   * Compare-and-set on status, queuing the change's events atomically with it: undefined when
   * the order is no longer in `from`.
   */
  abstract transition(change: StatusChange): Promise<Order | undefined>;

  /**
   * Cancels every order of the user that is in one of `from`, each atomically with its event
   * (made by `eventFor`), once per (handler, eventId): a redelivery of the event changes
   * nothing, and one that arrives after a call died midway cancels what is left, each order
   * still once. The Postgres adapter does it all in one transaction with its inbox claim; the
   * MongoDB adapter, without multi-document transactions, one version-checked document write per
   * order, and records the event in its inbox last. Returns how many orders this call cancelled.
   */
  abstract cancelAll(cancellation: Cancellation): Promise<number>;

  abstract ping(): Promise<void>;
}

/**
 * Runs an adapter's insert: `inserted` when it wrote (and `outbox` hears of the commit),
 * `key-taken` when it failed because the Idempotency-Key is held (`keyTaken` tells that error
 * from the database's others).
 */
export async function insertOrKeyTaken(
  write: () => Promise<unknown>,
  keyTaken: (error: unknown) => boolean,
  outbox: CommitSignal,
): Promise<'inserted' | 'key-taken'> {
  try {
    await write();
  } catch (error) {
    if (keyTaken(error)) return 'key-taken';
    throw error;
  }
  outbox.committed();
  return 'inserted';
}
