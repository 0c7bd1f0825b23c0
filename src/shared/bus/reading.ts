import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { BusHeaders } from '../observability/bus-context';
import type { BusEvent } from './bus-event';
import {
  type ContractVersion,
  majorOf,
  type MessageContract,
  type RequestContract,
  sourceOf,
} from './contract';

/** A message as it crosses any transport: JSON text of this shape. */
export interface WireMessage {
  data: unknown;
  headers?: BusHeaders;
}

/** Why a message was set aside (a label of `bus_messages_parked_total`). */
export type ParkReason = 'not-json' | 'no-envelope' | 'unknown-version' | 'invalid-payload';

/**
 * A message that cannot be read: not JSON, no envelope, a major version this release does not
 * know, or a payload its schema refuses (a misbehaving or newer peer). It is set aside with its
 * reason and counted; it is never handled, never retried, and the messages behind it go on.
 */
export class ParkedMessage extends Error {
  override readonly name = 'ParkedMessage';

  constructor(
    readonly reason: ParkReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** The envelope of a request, reply or broadcast: CloudEvents' attributes as headers. */
export const ATTRIBUTE_HEADERS = {
  specversion: 'ce-specversion',
  id: 'ce-id',
  source: 'ce-source',
  type: 'ce-type',
  time: 'ce-time',
  dataversion: 'ce-dataversion',
} as const;

/**
 * What a request, reply or broadcast under `contract` carries besides its trace headers. Its
 * source is the module that sends it: the contract's owner for a reply or a broadcast, the asking
 * process's modules (`from`) for a request.
 */
export function attributesOf(
  contract: MessageContract,
  { type = contract.name, from = contract.owner }: { type?: string; from?: string } = {},
): BusHeaders {
  return {
    [ATTRIBUTE_HEADERS.specversion]: '1.0',
    [ATTRIBUTE_HEADERS.id]: randomUUID(),
    [ATTRIBUTE_HEADERS.source]: sourceOf(from),
    [ATTRIBUTE_HEADERS.type]: type,
    [ATTRIBUTE_HEADERS.time]: isoNow(),
    [ATTRIBUTE_HEADERS.dataversion]: contract.version,
  };
}

let isoMs = Number.NaN;
let isoText = '';

/** Now, as ISO 8601 text: formatted once a millisecond, for every message sent within it. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/** A reply as it crosses the wire: the answer and its envelope (release 0.1.0 sent no `ce`). */
export interface WireReply {
  response?: unknown;
  err?: unknown;
  ce?: BusHeaders;
}

/** Parses a message's JSON text into its envelope. */
export function decodeWire(text: string): WireMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ParkedMessage('not-json', 'the message is not JSON');
  }
  const message = value as Partial<WireMessage> | null;
  if (
    typeof message !== 'object' ||
    message === null ||
    Array.isArray(message) ||
    !('data' in message)
  ) {
    throw new ParkedMessage('no-envelope', 'the message is not an object with `data`');
  }
  const headers = message.headers;
  if (headers !== undefined && !isStringRecord(headers)) {
    throw new ParkedMessage('no-envelope', '`headers` is not an object of strings');
  }
  return { data: message.data, headers: headers ?? {} };
}

/** Whether `value` is an object whose own values are all strings (read on every message). */
function isStringRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null) return false;
  for (const key in value) {
    if (Object.hasOwn(value, key) && typeof (value as Record<string, unknown>)[key] !== 'string')
      return false;
  }
  return true;
}

/**
 * The aggregate the event in `message` is about (its envelope's `key`), when it says: what a
 * consumer orders its handling by, read before the event is (events of one key one after
 * another, in the stream's order).
 */
export function eventKeyOf(message: WireMessage): string | undefined {
  const key = (message.data as { key?: unknown } | null | undefined)?.key;
  return typeof key === 'string' ? key : undefined;
}

/** The event in `message`, checked against its contract: envelope, version, then `data`. */
export function readEvent<D>(
  contract: Extract<MessageContract, { kind: 'event' }> & { data: z.ZodType<D> },
  message: WireMessage,
): BusEvent<D> {
  const event = message.data as Partial<BusEvent> | null;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new ParkedMessage('no-envelope', 'the event is not an object');
  }
  for (const attribute of ['id', 'type'] as const) {
    if (typeof event[attribute] !== 'string' || event[attribute].length === 0) {
      throw new ParkedMessage('no-envelope', `the event has no \`${attribute}\``);
    }
  }
  if (event.type !== contract.name) {
    throw new ParkedMessage(
      'no-envelope',
      `an event of type ${String(event.type)} on ${contract.name}`,
    );
  }
  const version = versionOf(contract, event.dataversion);
  const key = eventKeyOf(message);
  return {
    specversion: '1.0',
    id: event.id!,
    source: typeof event.source === 'string' ? event.source : sourceOf(contract.owner),
    type: contract.name,
    time: typeof event.time === 'string' ? event.time : '',
    datacontenttype: 'application/json',
    dataversion: version,
    ...(key !== undefined && { key }),
    data: parse(contract, contract.data, event.data, version),
    ...(event.context && { context: event.context }),
  };
}

/** The payload of a request or broadcast in `message`, checked against `schema`. */
export function readPayload<T>(
  contract: MessageContract,
  schema: z.ZodType<T>,
  message: WireMessage,
): T {
  const version = versionOf(contract, message.headers?.[ATTRIBUTE_HEADERS.dataversion]);
  return parse(contract, schema, message.data, version);
}

/** The answer in a reply to a request under `contract`, checked against its reply schema. */
export function readReply<Q, R>(contract: RequestContract<Q, R>, reply: WireReply): R {
  const version = versionOf(contract, reply.ce?.[ATTRIBUTE_HEADERS.dataversion]);
  return parse(contract, contract.reply, reply.response, version);
}

/** `major.minor` a message says it is (1.0 when it says nothing); parked when unknown here. */
function versionOf(contract: MessageContract, said: unknown): ContractVersion {
  if (said === undefined) return '1.0';
  const version =
    typeof said === 'string' && /^\d+\.\d+$/.test(said) ? (said as ContractVersion) : undefined;
  if (version === undefined) {
    throw new ParkedMessage(
      'no-envelope',
      `dataversion ${JSON.stringify(said)} is not major.minor`,
    );
  }
  if (!contract.readable.includes(majorOf(version))) {
    throw new ParkedMessage(
      'unknown-version',
      `${contract.name} ${version}: this release reads major version ${contract.readable.join(', ')}`,
    );
  }
  return version;
}

function parse<T>(
  contract: MessageContract,
  schema: z.ZodType<T>,
  value: unknown,
  version: string,
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(payload)'}: ${i.message}`)
    .join('; ');
  throw new ParkedMessage('invalid-payload', `${contract.name} ${version}: ${issues}`);
}
