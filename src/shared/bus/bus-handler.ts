import { BaseRpcContext, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';

export type BusHeaders = Record<string, string>;

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

/** Runs a Nest message or event handler on a decoded message; its result, observables unwrapped. */
export async function runHandler(
  handler: MessageHandler,
  pattern: string,
  message: WireMessage,
): Promise<unknown> {
  const result: unknown = await handler(
    message.data,
    new BusContext([pattern, message.headers ?? {}]),
  );
  return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
}

/** A handler failure in one line, for logs and dead letters (never a stack). */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'unknown error';
}
