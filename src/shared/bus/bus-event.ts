import { randomUUID } from 'node:crypto';
import { currentHeaders, type BusHeaders } from '../observability/bus-context';

/** An event as it travels on the bus: `id` is unique per event, so consumers can de-duplicate. */
export interface BusEvent<TData = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  /**
   * The aggregate the event is about (an order id, a user id): events with one key are
   * delivered in the order they happened; events with different keys may go in parallel.
   */
  key?: string;
  data: TData;
  /**
   * Where it came from: the trace context and request id of the request that caused it, so
   * that its publication and handling continue that request's trace and logs.
   */
  context?: BusHeaders;
}

export function createEvent<TData>(type: string, data: TData, key?: string): BusEvent<TData> {
  return {
    id: randomUUID(),
    type,
    occurredAt: new Date().toISOString(),
    ...(key !== undefined && { key }),
    data,
    ...contextNow(),
  };
}

/** An error as it crosses the bus: a stable code and kind, never a stack or driver text. */
export interface BusErrorPayload {
  code: string;
  kind: string;
  message: string;
}

export function isBusErrorPayload(value: unknown): value is BusErrorPayload {
  const v = value as Partial<BusErrorPayload> | null;
  return typeof v?.code === 'string' && typeof v.kind === 'string' && typeof v.message === 'string';
}

function contextNow(): { context?: BusHeaders } {
  const context = currentHeaders();
  return Object.keys(context).length > 0 ? { context } : {};
}
