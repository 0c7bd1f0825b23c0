import type { LoggerService } from '@nestjs/common';

/**
 * Logs an unexpected error once, at error level, with where it happened and its cause chain:
 * class, message, code and stack only. Never the error object itself, whose other fields
 * (a failed query's parameters, a request) may hold secrets or bodies.
 */
export function logUnexpected(
  log: LoggerService,
  error: unknown,
  where: Record<string, unknown>,
): void {
  log.error({ ...where, error: describeError(error) }, 'unexpected error');
}

export interface ErrorDescription {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: ErrorDescription;
}

/** An error as logs show it: class, message, code, stack and up to three causes. */
export function describeError(error: unknown, depth = 0): ErrorDescription {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.constructor.name === 'Object' ? error.name : error.constructor.name,
    message: error.message,
    ...((typeof code === 'string' || typeof code === 'number') && { code: String(code) }),
    ...(error.stack !== undefined && { stack: error.stack }),
    ...(error.cause !== undefined && depth < 3 && { cause: describeError(error.cause, depth + 1) }),
  };
}
