import { BaseRpcContext, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { receiveTraced, type BusHeaders } from '../observability/bus-context';

export type { BusHeaders };
export { reasonOf } from '../observability/bus-context';

/** A message as it crosses any transport: JSON text of this shape. */
export interface WireMessage {
  data: unknown;
  headers?: BusHeaders;
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

export type HandlerKind = 'request' | 'event';
export type HandlerOutcome = 'ok' | 'error';

/** Sees every handled message: the metrics of the application the server belongs to. */
export interface HandlerObserver {
  handled(kind: HandlerKind, pattern: string, outcome: HandlerOutcome, seconds: number): void;
}

/** What a transport's server tells `runHandler` about one message. */
export interface HandlerRun {
  kind: HandlerKind;
  /** The durable consumer an event handler is (`<module>-…`), for events. */
  consumer?: string;
  observer?: HandlerObserver;
}

/**
 * Runs a Nest message or event handler on a decoded message, in the sender's trace and with its
 * request id in every log line; returns its result, observables unwrapped.
 */
export async function runHandler(
  handler: MessageHandler,
  pattern: string,
  message: WireMessage,
  run: HandlerRun,
): Promise<unknown> {
  const headers = message.headers ?? {};
  const owner = (run.consumer ?? pattern).split(/[-.]/)[0] ?? 'bus';
  return receiveTraced(
    pattern,
    run.kind,
    owner,
    headers,
    async () => {
      const value: unknown = await handler(message.data, new BusContext([pattern, headers]));
      return isObservable(value) ? lastValueFrom(value, { defaultValue: undefined }) : value;
    },
    (outcome, seconds) => run.observer?.handled(run.kind, pattern, outcome, seconds),
  );
}
