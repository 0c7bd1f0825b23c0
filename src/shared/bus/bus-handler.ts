import { applyDecorators, UseFilters } from '@nestjs/common';
import {
  BaseRpcContext,
  EventPattern,
  MessagePattern,
  type MessageHandler,
} from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { receiveTraced, type BusHeaders } from '../observability/bus-context';
import type { HandlerKind, HandlerObserver } from '../observability/metrics';
import type {
  BroadcastContract,
  EventContract,
  MessageContract,
  RequestContract,
} from './contract';
import { BusErrorFilter } from './bus-error.filter';
import { decodeWire, type ParkReason, readEvent, readPayload, type WireMessage } from './reading';

export type { BusHeaders, WireMessage };
export { reasonOf } from '../observability/bus-context';

/**
 * `@OnEvent(OrderCreated, { consumer: 'user-order-summary-created' })`: handles an event, as
 * the durable consumer `consumer` (also its inbox key). The handler gets the event read against
 * its contract (`reading.ts`).
 */
export function OnEvent(contract: EventContract, options: { consumer: string }): MethodDecorator {
  return handles(EventPattern(contract.name, { consumer: options.consumer, contract }));
}

/** `@Answers(VerifyCredentials)`: answers a request; the handler gets the read payload. */
export function Answers(contract: RequestContract): MethodDecorator {
  return handles(MessagePattern(contract.name, { contract }));
}

/** `@OnBroadcast(SessionsRevoked)`: every process (every replica) hears it. */
export function OnBroadcast(contract: BroadcastContract): MethodDecorator {
  return handles(EventPattern(contract.name, { broadcast: true, contract }));
}

const BUS_ERRORS = new BusErrorFilter();

/**
 * A bus handler: Nest's pattern decorator, and the bus' exception filter, which answers a
 * failure with a code-carrying error (a bug is logged once, with its cause). The bus server
 * does not inherit the HTTP edge's configuration (`app.ts`): its pipe, guards and filter.
 * (Nest types `EventPattern` for its payload type; ours are read against the contract.)
 */
function handles(pattern: unknown): MethodDecorator {
  return applyDecorators(pattern as MethodDecorator, UseFilters(BUS_ERRORS));
}

/** Context handed to handlers on every transport: the pattern and the message headers. */
export class BusContext extends BaseRpcContext<[string, BusHeaders]> {
  getPattern(): string {
    return this.args[0];
  }
  getHeaders(): BusHeaders {
    return this.args[1];
  }
}

/** What a transport's server tells `runHandler` about one message. */
export interface HandlerRun {
  kind: HandlerKind;
  /** The durable consumer an event handler is (`<module>-…`), for events. */
  consumer?: string;
  observer?: HandlerObserver;
}

/**
 * Reads a message (its JSON text, or its envelope a transport already decoded) against its
 * handler's contract and runs the handler on it, in the sender's trace and with its request id in
 * every log line; returns its result, observables unwrapped. Throws `ParkedMessage` (after
 * telling the observer) when the message cannot be read: the transport sets it aside, it never
 * reaches the handler.
 */
export async function runHandler(
  handler: MessageHandler,
  pattern: string,
  wire: string | WireMessage,
  run: HandlerRun,
): Promise<unknown> {
  let message: WireMessage;
  let payload: unknown;
  try {
    message = typeof wire === 'string' ? decodeWire(wire) : wire;
    payload = read(contractOf(handler), message);
  } catch (error) {
    const reason = (error as { reason?: ParkReason }).reason;
    if (reason) run.observer?.parked(pattern, reason);
    throw error;
  }
  const headers = message.headers ?? {};
  const owner = (run.consumer ?? pattern).split(/[-.]/)[0] || 'bus';
  return receiveTraced(
    pattern,
    run.kind,
    owner,
    headers,
    async () => {
      const value: unknown = await handler(payload, new BusContext([pattern, headers]));
      return isObservable(value) ? lastValueFrom(value, { defaultValue: undefined }) : value;
    },
    (outcome, seconds) => run.observer?.handled(run.kind, pattern, outcome, seconds),
  );
}

/** The contract a handler was declared with (`@OnEvent`, `@Answers`, `@OnBroadcast`). */
export function contractOf(handler: MessageHandler): MessageContract {
  const contract = handler.extras?.contract as MessageContract | undefined;
  if (!contract) {
    throw new Error(
      'a bus handler without a contract (declare it with @OnEvent, @Answers or @OnBroadcast)',
    );
  }
  return contract;
}

/** The payload a handler of `contract` gets. */
function read(contract: MessageContract, message: WireMessage): unknown {
  switch (contract.kind) {
    case 'event':
      return readEvent(contract, message);
    case 'request':
      return readPayload(contract, contract.request, message);
    case 'broadcast':
      return readPayload(contract, contract.data, message);
  }
}
