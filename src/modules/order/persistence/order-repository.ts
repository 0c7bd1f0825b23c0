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

/** The order store. Port: Postgres (TypeORM) now, MongoDB next. */
export abstract class OrderRepository {
  /** Inserts, or returns the order already created with this user's idempotency key. */
  abstract create(order: Order, idempotency?: IdempotencyRecord): Promise<CreateResult>;

  abstract findById(id: string): Promise<Order | undefined>;

  /** The user's orders, newest first, after `cursor`. */
  abstract listByUser(
    userId: string,
    limit: number,
    status?: OrderStatus,
    cursor?: Cursor,
  ): Promise<Order[]>;

  /** Compare-and-set on status: undefined when the order is no longer in `from`. */
  abstract transition(id: string, from: OrderStatus, to: OrderStatus, at: Date): Promise<Order | undefined>;

  /** Orders of the user in any of `statuses`. */
  abstract findByUserAndStatus(userId: string, statuses: readonly OrderStatus[]): Promise<Order[]>;

  abstract ping(): Promise<void>;
}
