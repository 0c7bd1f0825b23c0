import { z } from 'zod';
import {
  type BroadcastContract,
  type EventContract,
  type RequestContract,
  sourceOf,
} from '../contract';

/**
 * The JSON a release puts each kind of message in, around the message's own schema: what the
 * AsyncAPI document shows as each message's payload. A release's envelope is described once;
 * the previous release's is kept beside its reconstructed document (src/cli/asyncapi/).
 */
export interface Envelope {
  event(contract: EventContract): z.ZodType;
  request(contract: RequestContract): z.ZodType;
  /** The answer to a request, or the error it met. */
  reply(contract: RequestContract): z.ZodType;
  broadcast(contract: BroadcastContract): z.ZodType;
  /** Where a message names the HTTP request that caused it (AsyncAPI runtime expressions). */
  readonly correlation: { readonly event: string; readonly request: string };
  /** The envelope in prose, for the document's description. */
  readonly description: string;
}

export const traceHeaders = z
  .object({
    traceparent: z.string().optional().describe('W3C trace context of the sender.'),
    tracestate: z.string().optional().describe('W3C trace state of the sender.'),
    'x-request-id': z.string().optional().describe('The HTTP request that caused the message.'),
  })
  .catchall(z.string())
  .describe('Trace context and request id (strings); a reader ignores names it does not know.');

/** An error as it crosses the bus (`BusErrorPayload`): a stable code and kind, no stack. */
export const busError = z.object({
  code: z.string().describe('Stable, e.g. USER.NOT_FOUND or BUS.UNREADABLE_MESSAGE.'),
  kind: z.string().describe('How the edge answers it: invalid, not-found, unavailable, …'),
  message: z.string(),
});

const majorMinor = z.string().regex(/^\d+\.\d+$/);
const SENT = 'Always sent by this release; absent from release 0.1.0’s messages.';

/** CloudEvents attributes as `ce-*` headers: requests, replies and broadcasts (`reading.ts`). */
function attributes(type: string): z.ZodType {
  return traceHeaders.extend({
    'ce-specversion': z.literal('1.0').optional().describe(`CloudEvents 1.0. ${SENT}`),
    'ce-id': z.string().optional().describe(`Unique per message. ${SENT}`),
    'ce-source': z.string().optional().describe(`/cleave/<module>. ${SENT}`),
    'ce-type': z.literal(type).optional().describe(`The message’s name. ${SENT}`),
    'ce-time': z.string().optional().describe(`When it was sent (RFC 3339). ${SENT}`),
    'ce-dataversion': majorMinor
      .optional()
      .describe(`major.minor of the payload’s schema; absent reads as 1.0. ${SENT}`),
  });
}

/** This release's envelope: CloudEvents attributes on every message (`bus-event.ts`, `reading.ts`). */
export const CLOUDEVENTS_ENVELOPE: Envelope = {
  event: (contract) =>
    z.object({
      data: z
        .object({
          specversion: z.literal('1.0').optional().describe(`CloudEvents 1.0. ${SENT}`),
          id: z.string().min(1).describe('Unique per event: readers de-duplicate by it.'),
          source: z
            .literal(sourceOf(contract.owner))
            .optional()
            .describe(`Who published it. ${SENT}`),
          type: z.literal(contract.name),
          time: z.string().optional().describe(`When it happened (RFC 3339). ${SENT}`),
          occurredAt: z
            .string()
            .describe(
              'Release 0.1.0’s name for `time`, which this release still sends for it (deprecated: gone in 0.3.0).',
            ),
          datacontenttype: z.literal('application/json').optional().describe(SENT),
          dataversion: majorMinor
            .optional()
            .describe(`major.minor of \`data\`’s schema; absent reads as 1.0. ${SENT}`),
          key: z
            .string()
            .optional()
            .describe('The aggregate it is about: events with one key are delivered in order.'),
          data: contract.data,
          context: traceHeaders.optional().describe('The trace and request that caused it.'),
        })
        .describe('A CloudEvent in structured JSON mode, with the `dataversion` extension.'),
      headers: traceHeaders.optional().describe('The publisher’s trace context.'),
    }),
  request: (contract) =>
    z.object({ data: contract.request, headers: attributes(contract.name).optional() }),
  reply: (contract) =>
    z.union([
      z.object({
        response: contract.reply,
        ce: attributes(`${contract.name}.reply`).optional(),
      }),
      z.object({ err: busError }),
    ]),
  broadcast: (contract) =>
    z.object({ data: contract.data, headers: attributes(contract.name).optional() }),
  correlation: {
    event: '$message.payload#/data/context/x-request-id',
    request: '$message.payload#/headers/x-request-id',
  },
  description:
    'Every message is JSON. An event is a CloudEvent in structured JSON mode (`specversion`, ' +
    '`id`, `source` `/cleave/<module>`, `type`, `time`, `datacontenttype`, and `dataversion`, the ' +
    'major.minor of its `data`) inside `{ data: <event>, headers: <trace headers> }`. A request ' +
    'or broadcast is `{ data: <payload>, headers }` with the same attributes as `ce-*` headers ' +
    'beside `traceparent` and `x-request-id`; a reply is `{ response, ce: <ce-* attributes> }` ' +
    'or `{ err: { code, kind, message } }`. A message without a version (release 0.1.0 sent ' +
    'none) reads as 1.0.',
};
