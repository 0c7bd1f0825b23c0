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
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
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

export function problem(status: number, detail: string, extra: Partial<Problem> = {}): Problem {
  const title = TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
  const slug = title.toLowerCase().replace(/[^a-z]+/g, '-');
  return { type: `https://cleave.dev/problems/${slug}`, title, status, detail, ...extra };
}

/** Answers with `body` as problem+json, its `instance` the request's path, and the request id. */
export function replyProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  body: Problem,
  headers: Record<string, string>,
): void {
  void reply
    .status(body.status)
    .headers(headers)
    .header('x-request-id', request.id)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ ...body, instance: (request.url ?? '/').split('?')[0] }));
}
