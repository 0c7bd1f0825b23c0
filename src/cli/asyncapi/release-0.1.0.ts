/**
 * Release 0.1.0's bus (commit 9984ce67d6d0), declared as this release declares its own, so that
 * the generator can write the document 0.1.0 never had: `npm run asyncapi -- --release 0.1.0`
 * writes releases/0.1.0/asyncapi.json. Read from 0.1.0's contract files, `bus-event.ts`, `bus.ts`
 * and the NATS transport (`git show 9984ce67d6d0:<path>`):
 * - fields, their optionality and JSON types are 0.1.0's TypeScript interfaces (`Role[]` and
 *   `OrderStatus` are their enums); value formats are what 0.1.0's code always produced: ids
 *   from `randomUUID()` and uuid columns, totals as integer sums of integer cents, `sinceMs` 0
 *   or a time, session ids non-empty;
 * - nothing carried a version (read as 1.0 today); an event was `{ id, type, occurredAt, key?,
 *   data, context? }`, a request or broadcast `{ data, headers? }` with trace headers only, a
 *   reply `{ response }` or `{ err }`; broadcasts went to core NATS only (no stored copy);
 * - who handled and asked what is 0.1.0's `@EventPattern`/`@MessagePattern` handlers and
 *   `bus.request` calls (the order module asked `user.check-account` on every order).
 */
import { z } from 'zod';
import { EVOLUTION_RULES, type BusDescription } from '../../shared/bus/asyncapi/document';
import { busError, type Envelope, traceHeaders } from '../../shared/bus/asyncapi/envelope';
import { defineBroadcast, defineEvent, defineRequest } from '../../shared/bus/contract';

const ROLES = ['user', 'admin'] as const;
const ORDER_STATUSES = ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled'] as const;
const uuid = z.uuid();
const roles = z.array(z.enum(ROLES));
const status = z.enum(ORDER_STATUSES);
const revocations = z.object({
  revocations: z.array(z.object({ sessionId: z.string().min(1), revokedAtMs: z.number() })),
});
const v1 = { version: '1.0', summary: '' } as const;

const VerifyCredentials = defineRequest({
  ...v1,
  name: 'user.verify-credentials',
  owner: 'user',
  summary: 'Checks an email and password (the auth module asks it at login).',
  request: z.object({ email: z.string(), password: z.string() }),
  reply: z.object({ user: z.object({ id: uuid, roles }).nullable() }),
});
const CheckAccount = defineRequest({
  ...v1,
  name: 'user.check-account',
  owner: 'user',
  summary: 'Whether an account exists, and its roles.',
  request: z.object({ userId: z.string() }),
  reply: z.object({ exists: z.boolean(), roles }),
});
const account = z.object({ userId: uuid });
const UserRegistered = defineEvent({
  ...v1,
  name: 'user.registered',
  owner: 'user',
  summary: 'An account was created.',
  data: z.object({ userId: uuid, roles }),
});
const UserDeleted = defineEvent({
  ...v1,
  name: 'user.deleted',
  owner: 'user',
  summary: 'An account was deleted.',
  data: account,
});
const UserPasswordChanged = defineEvent({
  ...v1,
  name: 'user.password-changed',
  owner: 'user',
  summary: 'An account’s password changed.',
  data: account,
});
const ids = { orderId: uuid, userId: uuid };
const statusChange = z.object({ ...ids, from: status, to: status });
const OrderCreated = defineEvent({
  ...v1,
  name: 'order.created',
  owner: 'order',
  summary: 'An order was placed.',
  data: z.object({
    ...ids,
    status,
    totalCents: z.number().int().min(0),
    currency: z.string(),
  }),
});
const OrderStatusChanged = defineEvent({
  ...v1,
  name: 'order.status-changed',
  owner: 'order',
  summary: 'An order changed status.',
  data: statusChange,
});
const OrderCancelled = defineEvent({
  ...v1,
  name: 'order.cancelled',
  owner: 'order',
  summary: 'An order was cancelled.',
  data: statusChange,
});
const Jwks = defineRequest({
  ...v1,
  name: 'auth.jwks',
  owner: 'auth',
  summary: 'The public keys that verify access tokens.',
  request: z.object({}),
  reply: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
});
const Revocations = defineRequest({
  ...v1,
  name: 'auth.revocations',
  owner: 'auth',
  summary: 'The sessions revoked since a time.',
  request: z.object({ sinceMs: z.number().min(0) }),
  reply: revocations,
});
const SessionsRevoked = defineBroadcast({
  ...v1,
  name: 'auth.sessions-revoked',
  owner: 'auth',
  summary: 'Sessions revoked just now.',
  data: revocations,
});

const ENVELOPE_0_1_0: Envelope = {
  event: (contract) =>
    z.object({
      data: z.object({
        id: z.string().min(1),
        type: z.literal(contract.name),
        occurredAt: z.string(),
        key: z.string().optional(),
        data: contract.data,
        context: traceHeaders.optional(),
      }),
      headers: traceHeaders.optional(),
    }),
  request: (contract) => z.object({ data: contract.request, headers: traceHeaders.optional() }),
  reply: (contract) =>
    z.union([z.object({ response: contract.reply }), z.object({ err: busError })]),
  broadcast: (contract) => z.object({ data: contract.data, headers: traceHeaders.optional() }),
  correlation: {
    event: '$message.payload#/data/context/x-request-id',
    request: '$message.payload#/headers/x-request-id',
  },
  description:
    'Release 0.1.0’s bus, reconstructed (src/cli/asyncapi/release-0.1.0.ts). Every message ' +
    'is JSON: an event is `{ data: { id, type, occurredAt, key?, data, context? }, headers }`, ' +
    'a request or broadcast `{ data: <payload>, headers }` with trace headers only, a reply ' +
    '`{ response }` or `{ err: { code, kind, message } }`. Nothing carried a version: every ' +
    'message reads as 1.0.',
};

export function describeRelease010(): BusDescription {
  return {
    version: '0.1.0',
    description: [ENVELOPE_0_1_0.description, EVOLUTION_RULES].join('\n\n'),
    messages: [
      Jwks,
      Revocations,
      SessionsRevoked,
      VerifyCredentials,
      CheckAccount,
      UserRegistered,
      UserDeleted,
      UserPasswordChanged,
      OrderCreated,
      OrderStatusChanged,
      OrderCancelled,
    ],
    modules: {
      auth: {
        handles: [
          { contract: Jwks },
          { contract: Revocations },
          { contract: UserDeleted, consumer: 'auth-revoke-on-user-deleted' },
          { contract: UserPasswordChanged, consumer: 'auth-revoke-on-password-changed' },
          { contract: SessionsRevoked },
        ],
        asks: [VerifyCredentials, Jwks, Revocations],
      },
      user: {
        handles: [
          { contract: VerifyCredentials },
          { contract: CheckAccount },
          { contract: OrderCreated, consumer: 'user-order-summary-created' },
          { contract: OrderStatusChanged, consumer: 'user-order-summary-status' },
          { contract: OrderCancelled, consumer: 'user-order-summary-cancelled' },
          { contract: SessionsRevoked },
        ],
        asks: [Jwks, Revocations],
      },
      order: {
        handles: [
          { contract: UserDeleted, consumer: 'order-cancel-on-user-deleted' },
          { contract: SessionsRevoked },
        ],
        asks: [CheckAccount, Jwks, Revocations],
      },
    },
    envelope: ENVELOPE_0_1_0,
    storesBroadcasts: false,
  };
}
