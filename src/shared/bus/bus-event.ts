import { randomUUID } from 'node:crypto';
import { currentHeaders, type BusHeaders } from '../observability/bus-context';
import { type EventContract, sourceOf } from './contract';

/**
 * An event as it travels on the bus: a CloudEvent (structured JSON mode) with cleave's
 * `dataversion` extension, the version of `data`'s schema in the contract. `id` is unique per
 * event, so consumers can de-duplicate. Release 0.1.0 sent `id`, `type`, `occurredAt`, `key`,
 * `data` and `context` only; its events are read as version 1.0.
 */
export interface BusEvent<TData = unknown> {
  specversion: '1.0';
  id: string;
  /** `/cleave/<module>`: who published it. */
  source: string;
  type: string;
  /** When it happened (ISO 8601). */
  time: string;
  /**
   * `time` under release 0.1.0's name. Deprecated: no reader uses it, but the contract keeps a
   * removed field for one release (`releases/README.md`); 0.3.0 stops sending it.
   */
  occurredAt?: string;
  datacontenttype: 'application/json';
  /** `major.minor` of `data`'s schema (contract.ts). */
  dataversion: string;
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

/** The event `contract` declares, about `key`, in the current request's context. */
export function createEvent<TData>(
  contract: EventContract<TData>,
  data: TData,
  key?: string,
): BusEvent<TData> {
  const context = currentHeaders();
  const time = new Date().toISOString();
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: sourceOf(contract.owner),
    type: contract.name,
    time,
    occurredAt: time,
    datacontenttype: 'application/json',
    dataversion: contract.version,
    ...(key !== undefined && { key }),
    data,
    ...(Object.keys(context).length > 0 && { context }),
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
