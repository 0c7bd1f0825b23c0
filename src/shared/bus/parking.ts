import type { BusErrorPayload } from './bus-event';
import { ParkedMessage } from './reading';

export function isParked(error: unknown): error is ParkedMessage {
  return error instanceof ParkedMessage;
}

/**
 * The answer to a request that could not be read (a newer or misbehaving peer): the caller's
 * module cannot be served by this one, which is a 503 for its client, never a 500.
 */
export function answerToUnreadable(pattern: string, error: ParkedMessage): BusErrorPayload {
  return {
    code: 'BUS.UNREADABLE_MESSAGE',
    kind: 'unavailable',
    message: `The ${pattern.split('.')[0]} service could not read the request (${error.reason}); try again later.`,
  };
}
