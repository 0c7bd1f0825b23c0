import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorKind } from '../kernel/domain-error';
import { describeError, logUnexpected } from '../observability/unexpected-errors';
import { isDependencyFailure } from '../resilience/dependency-failure';
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

const log = new Logger('http');

/**
 * The one exception filter of the HTTP edge: problem+json for whatever a route throws. (Bus
 * handlers have their own, `BusErrorFilter`: a code-carrying error payload for the caller.)
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
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
    if (unexpected) logUnexpected(log, exception, where);
    else log.warn({ ...where, error: describeError(exception, 3) }, 'dependency unavailable');
  }
  replyProblem(request, reply, body, headers);
}
