import type { BusEvent } from '../../../shared/bus/bus-event';
import type { Order } from '../order';
import { IdempotencyKeyReused } from '../order.errors';
import type { OrderRepository } from '../persistence/order-repository';

/** How long an Idempotency-Key holds its first response. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** The client's Idempotency-Key, if any (none means a plain insert), and the clock. */
export type IdempotencyRequest = {
  /** The one clock the key's expiry is set and judged by. */
  now: Date;
} & (
  | { key?: undefined }
  | {
      key: string;
      /** Identifies the request's body: the same key with another body is refused. */
      requestHash: string;
    }
);

/**
 * The Idempotency-Key rule, decided here for every database: the first order with a key holds it
 * until `now + IDEMPOTENCY_TTL_MS`; within that time the same key and body replay that order,
 * another body is refused (422); after it, the key is released from the old order (which stays)
 * and the new request creates its own. The repository only inserts atomically, finds the holder
 * and releases a key by compare-and-clear.
 */
export class IdempotentInsert {
  constructor(private readonly orders: OrderRepository) {}

  async insert(
    order: Order,
    events: readonly BusEvent[],
    request: IdempotencyRequest,
  ): Promise<{ order: Order; replayed: boolean }> {
    if (request.key === undefined) {
      await this.orders.insert(order, events);
      return { order, replayed: false };
    }
    const { key, requestHash, now } = request;
    const claim = { key, requestHash, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS) };
    // Two rounds: a key released (or expired) between our insert and our read is taken again
    // once; a key that keeps changing hands beyond that is a concurrent burst we let fail.
    for (let round = 0; round < 2; round++) {
      if ((await this.orders.insert(order, events, claim)) === 'inserted')
        return { order, replayed: false };
      const holder = await this.orders.findByIdempotencyKey(order.userId, key);
      if (!holder) continue;
      if (holder.claim.expiresAt > now) {
        if (holder.claim.requestHash !== requestHash) throw new IdempotencyKeyReused();
        return { order: holder.order, replayed: true };
      }
      await this.orders.releaseIdempotencyKey(holder.order.id, key);
    }
    throw new Error(`Idempotency-Key of user ${order.userId} kept changing hands`);
  }
}
