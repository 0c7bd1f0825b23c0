import type { BusEvent } from '../../../shared/bus/bus-event';
import type { Cursor } from '../../../shared/kernel/page';
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

/**
 * The order store: atomic primitives only. What they mean (when a key has expired, what to do
 * when it is taken, which statuses may change) is decided by the use cases, on their clock.
 * Adapters: Postgres or PGlite (SQL), MongoDB (documents). `test/int/order-repository.int-spec.ts`
 * is the contract every adapter passes.
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

  /** The user's orders, newest first, after `cursor`. */
  abstract listByUser(
    userId: string,
    limit: number,
    status?: OrderStatus,
    cursor?: Cursor,
  ): Promise<Order[]>;

  /**
   * Compare-and-set on status, queuing `events` atomically with the change: undefined when the
   * order is no longer in `from`.
   */
  abstract transition(
    id: string,
    from: OrderStatus,
    to: OrderStatus,
    at: Date,
    events: readonly BusEvent[],
  ): Promise<Order | undefined>;

  /**
   * Cancels every order of the user that is in one of `from`, each atomically with its event
   * (made by `eventFor`), once per (handler, eventId): a redelivery of the event changes
   * nothing, and one that arrives after a call died midway cancels what is left, each order
   * still once. The SQL adapter does it all in one transaction; the MongoDB adapter, without
   * multi-document transactions, one version-checked document write per order, and records the
   * event in its inbox last. Returns how many orders this call cancelled.
   */
  abstract cancelAll(
    userId: string,
    from: readonly OrderStatus[],
    at: Date,
    inbox: { handler: string; eventId: string },
    eventFor: (order: Order) => BusEvent,
  ): Promise<number>;

  abstract ping(): Promise<void>;
}

/**
 * Runs an adapter's insert: `key-taken` when it failed because the Idempotency-Key is held
 * (`keyTaken` tells that error from the store's), `inserted` when it wrote.
 */
export async function insertOrKeyTaken(
  write: () => Promise<unknown>,
  keyTaken: (error: unknown) => boolean,
): Promise<'inserted' | 'key-taken'> {
  try {
    await write();
    return 'inserted';
  } catch (error) {
    if (keyTaken(error)) return 'key-taken';
    throw error;
  }
}
