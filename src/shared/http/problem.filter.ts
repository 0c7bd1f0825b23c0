import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import type { BusErrorPayload } from '../bus/bus-event';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorKind } from './domain-error';
import { Problem, PROBLEM_CONTENT_TYPE, problem } from './problem';
import { ValidationFailed } from './validation';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unprocessable: 422,
  'too-many': 429,
  unavailable: 503,
};

/** Fastify's own errors (body parsing, limits) carry a statusCode and an `FST_` code. */
interface FrameworkError {
  statusCode?: number;
  code?: string;
}

const FRAMEWORK_DETAIL: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than 1 MiB.',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty but declared as JSON.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The request body must be application/json.',
};

interface Mapped {
  problem: Problem;
  headers: Record<string, string>;
}

/** Maps any thrown value to RFC 9457 problem details; nothing internal reaches the client. */
export function toProblem(exception: unknown): Mapped {
  if (exception instanceof DomainError) {
    const status = STATUS[exception.kind];
    const extra: Partial<Problem> = { code: exception.code };
    if (exception instanceof ValidationFailed) extra.errors = exception.errors;
    return {
      problem: problem(status, exception.message, extra),
      headers: { ...exception.headers },
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const detail = status >= 500 ? 'An unexpected error occurred.' : httpDetail(exception);
    const headers: Record<string, string> = {};
    if (status === 429) headers['retry-after'] = '60';
    return { problem: problem(status, detail), headers };
  }
  const framework = exception as FrameworkError | null;
  const status = framework?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (
      framework?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      /JSON/i.test(String(framework?.code))
    ) {
      return { problem: problem(400, FRAMEWORK_DETAIL.FST_ERR_CTP_INVALID_JSON_BODY), headers: {} };
    }
    const detail = FRAMEWORK_DETAIL[framework?.code ?? ''] ?? 'The request could not be processed.';
    return { problem: problem(status, detail), headers: {} };
  }
  if (isDependencyFailure(exception)) {
    return {
      problem: problem(503, 'A dependency is unavailable; try again later.', {
        code: 'SERVICE.UNAVAILABLE',
      }),
      headers: { 'retry-after': '1' },
    };
  }
  return { problem: problem(500, 'An unexpected error occurred.'), headers: {} };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** MongoDB driver errors that mean the server cannot be reached or did not answer in time. */
const MONGO_UNAVAILABLE =
  /^(MongoServerSelectionError|MongooseServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoNotConnectedError|MongoOperationTimeoutError|MongoPoolClearedError|PoolClearedOnNetworkError|MongoServerClosedError|MongoTopologyClosedError)$/;

/**
 * A store that cannot be reached (network, SQLSTATE 08xxx / 57Pxx / 3D000, or a MongoDB
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

function httpDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (exception.getStatus() === 404) return 'There is nothing here.';
  if (exception.getStatus() === 429) return 'Too many requests; slow down.';
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return typeof message === 'string' ? message : exception.message;
}

/**
 * The one exception filter of the application: problem+json over HTTP, and a code-carrying
 * error payload over the bus (so the caller's edge can map it the same way).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Bus');

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() === 'rpc') return throwError(() => this.toBusError(exception));
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  private toBusError(exception: unknown): BusErrorPayload {
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
    this.logger.error(
      `message handler failed: ${exception instanceof Error ? exception.stack : String(exception)}`,
    );
    return { code: 'INTERNAL', kind: 'unavailable', message: 'The handler failed.' };
  }
}

export function sendProblem(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const { problem: body, headers } = toProblem(exception);
  if (body.status >= 500 && body.status !== 503) {
    request.log.error({ err: exception }, 'unhandled error');
  } else if (body.status === 503) {
    request.log.warn({ code: body.code, detail: body.detail }, 'dependency unavailable');
  }
  void reply
    .status(body.status)
    .headers(headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ ...body, instance: request.url.split('?')[0] }));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
