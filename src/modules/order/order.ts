import { ORDER_STATUSES, OrderStatus } from './order.contract';

export interface OrderItem {
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

/**
 * An order, as the use cases, the repository's port and the DTO mappers speak of it; each
 * adapter maps its rows or documents to and from it.
 */
export interface Order {
  id: string;
  userId: string;
  items: OrderItem[];
  totalCents: number;
  currency: string;
  status: OrderStatus;
  createdAt: Date;
  updatedAt: Date;
}

const NEXT: Partial<Record<OrderStatus, OrderStatus>> = {
  pending: 'confirmed',
  confirmed: 'shipped',
  shipped: 'delivered',
};

/** The state machine: pending → confirmed → shipped → delivered; cancel from pending or confirmed. */
export const orderRules = {
  statuses: ORDER_STATUSES,
  next(from: OrderStatus): OrderStatus | undefined {
    return NEXT[from];
  },
  /** The statuses an order can still be cancelled from. */
  cancellable: ['pending', 'confirmed'] as readonly OrderStatus[],
  canCancel(from: OrderStatus): boolean {
    return orderRules.cancellable.includes(from);
  },
  total(items: readonly OrderItem[]): number {
    return items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  },
};
