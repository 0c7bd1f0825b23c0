import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import type { BusErrorPayload } from '../bus/bus-event';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorKind } from '../kernel/domain-error';
import { edgeProblem } from './edge-errors';
import { Problem, problem, replyProblem } from './problem';
import { ValidationFailed } from './validation';

/** The HTTP status of each kind of domain error. */
export const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unprocessable: 422,
  'too-many': 429,
  internal: 500,
  unavailable: 503,
};

interface Mapped {
  problem: Problem;
  headers: Record<string, string>;
  /** A bug here (not an answer, nor a dependency away): log it, with its cause. */
  unexpected?: boolean;
  /** A database or server that could not be reached: worth a warning with its cause. */
  dependency?: boolean;
}

const UNEXPECTED = 'An unexpected error occurred.';

/** Maps any thrown value to RFC 9457 problem details; nothing internal reaches the client. */
export function toProblem(exception: unknown): Mapped {
  if (exception instanceof DomainError) {
    const status = STATUS[exception.kind];
    if (status === 500) {
      // A bug in another module, logged where it happened: here it is only relayed.
      return { problem: problem(500, UNEXPECTED, { code: 'INTERNAL' }), headers: {} };
    }
    const extra: Partial<Problem> = { code: exception.code };
    if (exception instanceof ValidationFailed) extra.errors = exception.errors;
    return {
      problem: problem(status, exception.message, extra),
      headers: { ...exception.headers },
    };
  }
  // Fastify's own errors reach Nest's filters wrapped in an HttpException; the cause says which.
  const edge = edgeProblem(exception instanceof HttpException ? exception.cause : exception);
  if (edge) return { problem: edge, headers: {} };
  if (exception instanceof HttpException && exception.getStatus() < 500) {
    return httpProblem(exception);
  }
  if (isDependencyFailure(exception)) {
    return {
      problem: problem(503, 'A dependency is unavailable; try again later.', {
        code: 'SERVICE.UNAVAILABLE',
      }),
      headers: { 'retry-after': '1' },
      dependency: true,
    };
  }
  return {
    problem: problem(500, UNEXPECTED, { code: 'INTERNAL' }),
    headers: {},
    unexpected: true,
  };
}

/** Nest's and its libraries' own 4xx answers (no route, a pipe's refusal). */
function httpProblem(exception: HttpException): Mapped {
  const status = exception.getStatus();
  if (status === 404) {
    return {
      problem: problem(404, 'There is nothing here.', { code: 'ROUTE.NOT_FOUND' }),
      headers: {},
    };
  }
  const response = exception.getResponse();
  const message =
    typeof response === 'string' ? response : (response as { message?: unknown }).message;
  return {
    problem: problem(status, typeof message === 'string' ? message : 'The request is not valid.', {
      code: 'REQUEST.INVALID',
    }),
    headers: {},
  };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** MongoDB driver errors that mean the server cannot be reached or did not answer in time. */
const MONGO_UNAVAILABLE =
  /^(MongoServerSelectionError|MongooseServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoNotConnectedError|MongoOperationTimeoutError|MongoPoolClearedError|PoolClearedOnNetworkError|MongoServerClosedError|MongoTopologyClosedError)$/;

/**
 * A database that cannot be reached (network, SQLSTATE 08xxx / 57Pxx / 3D000, or a MongoDB
 * selection or network error) is a 503, not a 500.
 */
function isDependencyFailure(exception: unknown): boolean {
  const e = exception as {
    code?: string;
    name?: string;
    driverError?: { code?: string };
    message?: string;
  } | null;
  if (MONGO_UNAVAILABLE.test(e?.name ?? '')) return true;
  const code = `${e?.driverError?.code ?? e?.code ?? ''}`;
  if (NETWORK_CODES.has(code) || /^(08|57P)/.test(code) || code === '3D000') return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Stream isn't writeable|Connection is closed|Command timed out/i.test(
    `${e?.message ?? ''}`,
  );
}

const log = new Logger('http');

/**
 * Logs an unexpected error once, at error level, with where it happened and its cause chain:
 * class, message, code and stack only. Never the error object itself, whose other fields
 * (a failed query's parameters, a request) may hold secrets or bodies.
 */
export function logUnexpected(error: unknown, where: Record<string, unknown>): void {
  log.error({ ...where, error: describeError(error) }, 'unexpected error');
}

interface ErrorDescription {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: ErrorDescription;
}

function describeError(error: unknown, depth = 0): ErrorDescription {
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

/**
 * The one exception filter of the application: problem+json over HTTP, and a code-carrying
 * error payload over the bus (so the caller's edge can map it the same way).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Bus');

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() === 'rpc') return throwError(() => this.toBusError(exception, host));
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  private toBusError(exception: unknown, host: ArgumentsHost): BusErrorPayload {
    if (exception instanceof DomainError) {
      return { code: exception.code, kind: exception.kind, message: exception.message };
    }
    if (isDependencyFailure(exception)) {
      this.logger.warn(
        `message handler failed, a dependency is unavailable: ${errorMessage(exception)}`,
      );
      return {
        code: 'SERVICE.UNAVAILABLE',
        kind: 'unavailable',
        message: 'A dependency is unavailable.',
      };
    }
    const context: { getPattern?: () => string } = host.switchToRpc().getContext();
    const pattern = context.getPattern?.();
    logUnexpected(exception, { pattern });
    // A bug, not an outage: the caller answers 500, and its breaker does not count it.
    return { code: 'INTERNAL', kind: 'internal', message: 'The handler failed.' };
  }
}

export function sendProblem(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const { problem: body, headers, unexpected, dependency } = toProblem(exception);
  if (unexpected || dependency) {
    // The request id is on every line the request's logger writes.
    const where = {
      method: request.method,
      route: request.routeOptions?.url ?? 'unmatched',
    };
    if (unexpected) logUnexpected(exception, where);
    else log.warn({ ...where, error: describeError(exception, 3) }, 'dependency unavailable');
  }
  replyProblem(request, reply, body, headers);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
