/**
 * The order module's whole public surface: the events it publishes and their payloads.
 * Other modules may import this file and nothing else of the order module.
 */
import { z } from 'zod';
import { defineEvent, tolerantEnum } from '../../shared/bus/contract';

export const ORDER_STATUSES = [
  'pending',
  'confirmed',
  'shipped',
  'delivered',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses that count as `open` in a user's order summary. */
export const OPEN_ORDER_STATUSES: readonly string[] = ['pending', 'confirmed', 'shipped'];

/** A status as a reader sees it: one it does not know (a newer peer's) is `unknown`, not open. */
const status = tolerantEnum(ORDER_STATUSES, 'unknown');

const ids = {
  orderId: z.uuid().describe('The order (a UUID).'),
  userId: z.uuid().describe('Its owner’s account (a UUID).'),
};

export const OrderCreated = defineEvent({
  name: 'order.created',
  owner: 'order',
  version: '1.0',
  summary: 'An order was placed.',
  data: z.object({
    ...ids,
    status,
    totalCents: z.number().int().min(0).describe('The exact sum of the items, in minor units.'),
    currency: z.string().describe('ISO 4217, three upper-case letters.'),
  }),
});
export type OrderCreatedData = z.infer<typeof OrderCreated.data>;

const statusChange = z.object({ ...ids, from: status, to: status });

export const OrderStatusChanged = defineEvent({
  name: 'order.status-changed',
  owner: 'order',
  version: '1.0',
  summary: 'An order moved along pending → confirmed → shipped → delivered.',
  data: statusChange,
});

export const OrderCancelled = defineEvent({
  name: 'order.cancelled',
  owner: 'order',
  version: '1.0',
  summary: 'An order was cancelled (by its owner, an admin, or its owner’s deletion).',
  data: statusChange,
});

/** Data of `order.status-changed` and `order.cancelled`. */
export type OrderStatusChangedData = z.infer<typeof statusChange>;

/** Every message of the order module, for the AsyncAPI document. */
export const ORDER_MESSAGES = [OrderCreated, OrderStatusChanged, OrderCancelled] as const;
