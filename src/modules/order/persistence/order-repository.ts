import type { BusEvent } from '../../../shared/bus/bus-event';
import type { Cursor } from '../../../shared/http/pagination';
import type { OrderStatus } from '../order.contract';
import type { Order } from '../order';

export interface IdempotencyRecord {
  key: string;
  requestHash: string;
}

export type CreateResult =
  | { kind: 'created'; order: Order }
  /** The key was used before by this user; `requestHash` tells whether the body matched. */
  | { kind: 'existing'; order: Order; requestHash: string };

/** How long an Idempotency-Key holds its first response. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** The order store. Adapters: Postgres or PGlite (SQL), MongoDB (documents). */
export abstract class OrderRepository {
  /**
   * Inserts the order and queues `events` atomically, or returns the order already created
   * with this user's idempotency key (queuing nothing).
   */
  abstract create(
    order: Order,
    events: readonly BusEvent[],
    idempotency?: IdempotencyRecord,
  ): Promise<CreateResult>;

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
   * Cancels every order of the user in `from`, once per (handler, eventId): the inbox claim,
   * the changes and one event per order (made by `eventFor`) are one atomic write.
   * Returns how many orders were cancelled.
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
