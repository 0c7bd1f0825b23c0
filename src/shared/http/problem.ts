import type { FastifyReply, FastifyRequest } from 'fastify';

/** RFC 9457 problem details, as every error response of the API carries them. */
export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  instance?: string;
  /** The answer's `x-request-id`, so that a client that logs only the body can quote it. */
  requestId?: string;
  errors?: FieldError[];
}

/** The longest request target (path and query) served; longer ones get 414. */
export const MAX_URL_LENGTH = 4096;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A problem names at most this many fields in `errors`, each path and message cut to size. */
export const FIELD_ERRORS = { maxItems: 100, fieldMaxLength: 256, messageMaxLength: 500 } as const;
/** A problem's `detail` is cut at this length (it is a sentence for a human). */
export const DETAIL_MAX_LENGTH = 1000;

/** `errors` as a problem carries them: the first FIELD_ERRORS.maxItems, cut to size. */
export function boundedFieldErrors(errors: readonly FieldError[]): FieldError[] {
  return errors.slice(0, FIELD_ERRORS.maxItems).map(({ field, message }) => ({
    field: field.slice(0, FIELD_ERRORS.fieldMaxLength),
    message: message.slice(0, FIELD_ERRORS.messageMaxLength),
  }));
}

export const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The title of a status TITLES does not name. */
export const OTHER_TITLES = { client: 'Client Error', server: 'Server Error' } as const;

export function problem(status: number, detail: string, extra: Partial<Problem> = {}): Problem {
  const title = TITLES[status] ?? (status >= 500 ? OTHER_TITLES.server : OTHER_TITLES.client);
  const slug = title.toLowerCase().replace(/[^a-z]+/g, '-');
  return { type: `https://cleave.dev/problems/${slug}`, title, status, detail, ...extra };
}

/** Seconds a client waits after a 503 that says nothing more precise. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/**
 * The headers a problem is answered with: `headers`, and `Retry-After` on every 503 (a
 * dependency away or shutdown begun: worth trying again soon) that does not say otherwise.
 */
export function problemHeaders(
  status: number,
  headers: Record<string, string>,
): Record<string, string> {
  if (status !== 503 || Object.keys(headers).some((h) => h.toLowerCase() === 'retry-after')) {
    return headers;
  }
  return { ...headers, 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) };
}

/**
 * Answers with `body` as problem+json, its `instance` the request's path, and the request id
 * (in the `x-request-id` header and the body's `requestId`).
 */
export function replyProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  body: Problem,
  headers: Record<string, string>,
): void {
  void reply
    .status(body.status)
    .headers(problemHeaders(body.status, headers))
    .header('x-request-id', request.id)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(
      JSON.stringify({
        ...body,
        detail: body.detail.slice(0, DETAIL_MAX_LENGTH),
        instance: uriReference((request.url ?? '/').split('?')[0], MAX_URL_LENGTH),
        requestId: request.id,
      }),
    );
}

/**
 * `path` as a valid URI reference (RFC 3986), as `instance` promises: a `%` that starts no escape
 * becomes `%25` and a character a URI cannot hold is percent-encoded, so that a client can parse
 * the `instance` of the 400 its malformed path got (`/api/users/%zz` → `/api/users/%25zz`). At
 * most `max` characters, never cut inside an escape.
 */
export function uriReference(path: string, max: number): string {
  const encoded = path
    .replace(/%(?![0-9A-Fa-f]{2})/g, '%25')
    .replace(/[^A-Za-z0-9\-._~:/@!$&'()*+,;=%]/gu, (char) =>
      [...Buffer.from(char, 'utf8')]
        .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
        .join(''),
    );
  return encoded.length <= max ? encoded : encoded.slice(0, max).replace(/%[0-9A-F]?$/i, '');
}
