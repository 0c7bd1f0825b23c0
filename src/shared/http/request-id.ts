import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A request id the server takes from a client (else it makes a UUID, which matches too). */
export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming `x-request-id` when it is a sane token, else a new one. */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
