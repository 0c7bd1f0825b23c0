import { randomUUID } from 'node:crypto';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseMediaType } from 'fast-content-type-parse';
import { MAX_URL_LENGTH, Problem, PROBLEM_CONTENT_TYPE, problem, replyProblem } from './problem';
import { requestIdFor } from './request-id';
import { API_SECURITY_HEADERS } from './security-headers';

export { MAX_URL_LENGTH };
/** The longest path parameter (an id); longer ones get 414 from the router. */
export const MAX_PARAM_LENGTH = 100;

interface EdgeError {
  status: number;
  code: string;
  detail: string;
}

const BAD_JSON: EdgeError = {
  status: 400,
  code: 'REQUEST.MALFORMED_JSON',
  detail: 'The request body is not valid JSON.',
};
const MALFORMED: EdgeError = {
  status: 400,
  code: 'REQUEST.MALFORMED',
  detail: 'The request is not valid HTTP/1.1.',
};

/**
 * Errors that Fastify's router and body parsers, or Node's HTTP parser, raise before the
 * application sees a request, in our own words and codes (never the framework's).
 */
const EDGE_ERRORS: Record<string, EdgeError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'REQUEST.BODY_TOO_LARGE',
    detail: 'The request body is larger than 1 MiB.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: BAD_JSON,
  FST_ERR_CTP_EMPTY_JSON_BODY: BAD_JSON,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    detail: 'The request body must be application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'REQUEST.BAD_CONTENT_LENGTH',
    detail: 'The request body does not match its Content-Length.',
  },
  FST_ERR_BAD_URL: {
    status: 400,
    code: 'REQUEST.BAD_URL',
    detail: 'The request URL is not valid (a malformed percent-escape).',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'REQUEST.URI_TOO_LONG',
    detail: `A path parameter is longer than ${MAX_PARAM_LENGTH} characters.`,
  },
  URI_TOO_LONG: {
    status: 414,
    code: 'REQUEST.URI_TOO_LONG',
    detail: `The request URL is longer than ${MAX_URL_LENGTH} characters.`,
  },
  NO_HOST: {
    status: 400,
    code: 'REQUEST.NO_HOST',
    detail: 'An HTTP/1.1 request needs a Host header.',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'REQUEST.HEADERS_TOO_LARGE',
    detail: 'The request headers are larger than the server accepts.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST.TIMEOUT',
    detail: 'The request was not received in time.',
  },
};

const MALFORMED_MEDIA_TYPE: EdgeError = {
  status: 415,
  code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  detail:
    'The Content-Type header is not a valid media type; the request body must be application/json.',
};
const DOT_SEGMENT: EdgeError = {
  status: 400,
  code: 'REQUEST.BAD_PATH',
  detail: 'The request path has a `.` or `..` segment, or an encoded slash.',
};

/**
 * What every process refuses as soon as a request arrives, before any route, guard or proxy sees
 * it, so that one process and the gateway of the split shape answer it alike: a body whose
 * Content-Type is not a valid media type (the gateway's proxy cannot read it; one process would
 * take `application/json;;;` for JSON), and a path with a `.` or `..` segment or an encoded
 * slash (one process would route it as an id, after the token check; the gateway's proxy refuses
 * it outright). Both shapes answer them problem+json, with or without a token.
 */
export function refusedOnArrival(request: {
  url: string;
  headers: Record<string, string | string[] | undefined>;
}): Problem | undefined {
  const type = request.headers['content-type'];
  const hasBody =
    request.headers['transfer-encoding'] !== undefined ||
    Number(request.headers['content-length'] ?? 0) > 0;
  if (hasBody && typeof type === 'string' && !isMediaType(type)) return edge(MALFORMED_MEDIA_TYPE);
  const path = request.url.split('?')[0] ?? '';
  if (path.split('/').some(isDotOrSlash)) return edge(DOT_SEGMENT);
  return undefined;
}

function isMediaType(header: string): boolean {
  try {
    parseMediaType(header);
    return true;
  } catch {
    return false;
  }
}

function isDotOrSlash(segment: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return false; // a malformed percent-escape: the router answers it (FST_ERR_BAD_URL)
  }
  return decoded === '.' || decoded === '..' || /[/\\]/.test(decoded);
}

const edge = (e: EdgeError): Problem => problem(e.status, e.detail, { code: e.code });

/** The problem for a framework or parser error, or undefined when `error` is none of them. */
export function edgeProblem(error: unknown): Problem | undefined {
  const e = error as { code?: unknown; statusCode?: unknown; name?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const known = code === undefined ? undefined : EDGE_ERRORS[code];
  if (known) return problem(known.status, known.detail, { code: known.code });
  // secure-json-parse refuses `__proto__` and `constructor.prototype` keys with a SyntaxError.
  if (e?.name === 'SyntaxError' && e.statusCode === 400) {
    return problem(BAD_JSON.status, BAD_JSON.detail, { code: BAD_JSON.code });
  }
  // Any other library refusal with a 4xx status (e.g. the proxy refusing `..` in a path).
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return problem(e.statusCode, 'The request could not be processed.', {
      code: 'REQUEST.REJECTED',
    });
  }
  return undefined;
}

/** A problem answered without Fastify: the request's own id when it sent a sane one. */
function rawProblem(
  edge: EdgeError,
  requestId: string = randomUUID(),
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(problem(edge.status, edge.detail, { code: edge.code, requestId }));
  return {
    body,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(body)),
      'x-request-id': requestId,
      ...API_SECURITY_HEADERS,
      connection: 'close',
    },
  };
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes (bad chunked encoding,
 * both Content-Length and Transfer-Encoding, a byte not allowed in a header, an unknown method,
 * headers too large) or the request timed out. No request exists, so the answer is written to
 * the socket: problem+json with a fresh request id, then the connection closes.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const edge = (error.code && EDGE_ERRORS[error.code]) || MALFORMED;
  // As Node does: not into a response that has begun (the parser failed mid-body).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const { body, headers } = rawProblem(edge);
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    const reason = STATUS_CODES[edge.status] ?? 'Bad Request';
    socket.write(`HTTP/1.1 ${edge.status} ${reason}\r\n${head.join('')}\r\n${body}`);
  }
  socket.destroy();
}

/**
 * Fastify's `frameworkErrors`: the router refused the URL (a malformed percent-escape, a path
 * parameter over MAX_PARAM_LENGTH) before any hook ran.
 */
export function answerFrameworkError(
  error: Error,
  request: FastifyRequest,
  reply: FastifyReply,
  headers: Record<string, string>,
): void {
  const body = edgeProblem(error) ?? problem(400, MALFORMED.detail, { code: MALFORMED.code });
  replyProblem(request, reply, body, headers);
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Fastify's `serverFactory`: Node's HTTP server, with the checks that come before routing: an
 * HTTP/1.1 request without Host (Node would answer an empty 400 itself) and a request target
 * over MAX_URL_LENGTH get problem+json here. `wrap` may put every request in a context (a
 * tracing span).
 */
export function edgeServer(wrap: (handler: Handler) => Handler = (handler) => handler) {
  return (handler: Handler): Server => {
    const serve = wrap(handler);
    return createServer({ requireHostHeader: false }, (request, response) => {
      const refusal =
        (request.url ?? '').length > MAX_URL_LENGTH
          ? EDGE_ERRORS.URI_TOO_LONG
          : request.httpVersion === '1.1' && request.headers.host === undefined
            ? EDGE_ERRORS.NO_HOST
            : undefined;
      if (!refusal) return serve(request, response);
      const { body, headers } = rawProblem(refusal, requestIdFor(request));
      response.writeHead(refusal.status, headers).end(body);
    });
  };
}

const SHUTTING_DOWN: EdgeError = {
  status: 503,
  code: 'SERVICE.UNAVAILABLE',
  detail: 'The server is shutting down; try again.',
};

/**
 * From the moment the server begins to close, a request that still arrives (pipelined, or on a
 * keep-alive connection) gets 503 problem+json with `Retry-After` and its request id: Fastify's
 * own `return503OnClosing` answer is plain JSON without either, so it is turned off (the
 * adapter's `return503OnClosing: false`) and answered here instead. Fastify closes the
 * connection after it.
 */
export function refuseWhileClosing(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (closing) return replyProblem(request, reply, edge(SHUTTING_DOWN), {});
    done();
  });
}
