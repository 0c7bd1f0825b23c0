import type { BusEvent } from '../../src/shared/bus/bus-event';
import type { Order } from '../../src/modules/order/order';
import type { OrderStatus } from '../../src/modules/order/order.contract';
import {
  OrderRepository,
  type IdempotencyClaim,
  type KeyHolder,
  type OrderListing,
  type StatusChange,
} from '../../src/modules/order/persistence/order-repository';

/**
 * The order repository's primitives in memory, for unit tests of the use cases' rules (no
 * database): the same atomic meaning as the adapters (`test/int/order-repository.int-spec.ts` is
 * their contract), and a record of the events each write queued. `beforeNext` runs once before
 * the next primitive call, so a test can interleave a concurrent change where a race would put it.
 */
export class MemoryOrderRepository extends OrderRepository {
  readonly orders = new Map<string, Order>();
  readonly claims = new Map<string, IdempotencyClaim>();
  readonly events: BusEvent[] = [];
  beforeNext?: () => void;

  private interleave(): void {
    const run = this.beforeNext;
    this.beforeNext = undefined;
    run?.();
  }

  insert(
    order: Order,
    events: readonly BusEvent[],
    claim?: IdempotencyClaim,
  ): Promise<'inserted' | 'key-taken'> {
    this.interleave();
    if (claim && this.holderOf(order.userId, claim.key)) return Promise.resolve('key-taken');
    this.orders.set(order.id, structuredClone(order));
    if (claim) this.claims.set(order.id, { ...claim });
    this.events.push(...events);
    return Promise.resolve('inserted');
  }

  findByIdempotencyKey(userId: string, key: string): Promise<KeyHolder | undefined> {
    this.interleave();
    const id = this.holderOf(userId, key);
    return Promise.resolve(
      id
        ? { order: structuredClone(this.orders.get(id)!), claim: { ...this.claims.get(id)! } }
        : undefined,
    );
  }

  releaseIdempotencyKey(orderId: string, key: string): Promise<void> {
    this.interleave();
    if (this.claims.get(orderId)?.key === key) this.claims.delete(orderId);
    return Promise.resolve();
  }

  findById(id: string): Promise<Order | undefined> {
    this.interleave();
    const order = this.orders.get(id);
    return Promise.resolve(order && structuredClone(order));
  }

  listByUser(userId: string, { limit }: OrderListing): Promise<Order[]> {
    const mine = [...this.orders.values()].filter((o) => o.userId === userId);
    return Promise.resolve(mine.reverse().slice(0, limit));
  }

  transition({ id, from, to, at, events }: StatusChange): Promise<Order | undefined> {
    this.interleave();
    const order = this.orders.get(id);
    if (!order || order.status !== from) return Promise.resolve(undefined);
    Object.assign(order, { status: to, updatedAt: at });
    this.events.push(...events);
    return Promise.resolve(structuredClone(order));
  }

  cancelAll(): Promise<number> {
    return Promise.reject(new Error('cancelAll is not part of this fake'));
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  /** Stands for another request changing an order between the use case's read and its write. */
  setStatus(id: string, status: OrderStatus): void {
    this.orders.get(id)!.status = status;
  }

  private holderOf(userId: string, key: string): string | undefined {
    for (const [id, claim] of this.claims) {
      if (claim.key === key && this.orders.get(id)?.userId === userId) return id;
    }
    return undefined;
  }
}
