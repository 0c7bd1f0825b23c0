/**
 * A business-rule failure with a stable code. Services throw these; the edge (one exception
 * filter) decides the HTTP status from the code's kind, so modules never speak HTTP.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'unprocessable'
  | 'too-many'
  /** A bug: answered 500 and logged where it happened. */
  | 'internal'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    /** Stable code, e.g. `ORDER.NOT_CANCELLABLE`. */
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller is not (or no longer) authenticated. One message for every cause, on purpose. */
export class Unauthenticated extends DomainError {
  constructor(message = 'Authentication is required.') {
    super('AUTH.UNAUTHENTICATED', 'unauthenticated', message);
  }
}

export class Forbidden extends DomainError {
  constructor(message = 'You are not allowed to do this.') {
    super('AUTH.FORBIDDEN', 'forbidden', message);
  }
}

/** A dependency (another module, a database) did not answer in time. */
export class ServiceUnavailable extends DomainError {
  constructor(what: string) {
    super('SERVICE.UNAVAILABLE', 'unavailable', `${what} is unavailable; try again later.`, {
      'retry-after': '1',
    });
  }
}

/** Whether `error` means a dependency could not answer (503), as opposed to an answer. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof DomainError && error.kind === 'unavailable';
}
