import type { OpenAPIObject } from '@nestjs/swagger';
import { textSchema } from './api-fields';
import { problemContent, problemExample } from './api-problems';
import { MAX_PARAM_LENGTH, MAX_URL_LENGTH } from './edge-errors';
import { DETAIL_MAX_LENGTH, FIELD_ERRORS, OTHER_TITLES, TITLES } from './problem';
import { SANE_REQUEST_ID } from './request-id';
import { REFUSES_UNKNOWN_FIELDS } from './validation';

type Json = Record<string, unknown>;
type Operation = {
  operationId?: string;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses: Record<string, Json>;
  security?: Array<Record<string, string[]>>;
  [extension: `x-${string}`]: unknown;
};

/** What the document says about tokens; the numbers come from the configuration's bounds. */
export interface DocumentFacts {
  accessTokenTtlSeconds: { minimum: number; maximum: number; default: number };
  /** The bearer scheme's name (`bearer`). */
  bearer: string;
  /** The extension that marks a public operation (`@Public()`). */
  publicExtension: `x-${string}`;
  tags: Record<string, string>;
}

const ref = (kind: 'headers' | 'responses' | 'schemas', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

/** Headers every answer may carry, under these names. */
export const HEADER = {
  requestId: 'x-request-id',
  rateLimit: 'RateLimit',
  rateLimitPolicy: 'RateLimit-Policy',
  retryAfter: 'Retry-After',
  allowOrigin: 'Access-Control-Allow-Origin',
} as const;

const VISIBLE_ASCII = /^[\x20-\x7e]*$/;

const HEADERS = {
  [HEADER.requestId]: {
    description:
      'The request id: the one the client sent when it is 1 to 128 of `A-Z a-z 0-9 . _ : -`, ' +
      'else a new UUID. Every log line the request causes carries it; problem bodies repeat it ' +
      'as `requestId`.',
    required: true,
    schema: textSchema({ maxLength: 128, pattern: SANE_REQUEST_ID }),
  },
  [HEADER.rateLimit]: {
    description:
      'What is left of the rate limit that applies to this client (IETF draft ' +
      'httpapi-ratelimit-headers, a structured field), e.g. `"per-token";r=1199;t=60`: ' +
      '`r` requests remain in the next `t` seconds.',
    required: false,
    schema: textSchema({ maxLength: 256, pattern: VISIBLE_ASCII }),
  },
  [HEADER.rateLimitPolicy]: {
    description:
      'The rate limit that applies to this client (IETF draft httpapi-ratelimit-headers), ' +
      'e.g. `"per-token";q=1200;w=60`: `q` requests per window of `w` seconds, per token on ' +
      'authenticated routes and per client address on public ones.',
    required: false,
    schema: textSchema({ maxLength: 256, pattern: VISIBLE_ASCII }),
  },
  [HEADER.allowOrigin]: {
    description:
      'CORS: the calling origin, echoed when it is one of the configured `CORS_ORIGINS` (none ' +
      'by default, and then absent); a browser script of another origin cannot read the answer.',
    required: false,
    schema: textSchema({ maxLength: 256, format: 'uri' }),
  },
  [HEADER.retryAfter]: {
    description: 'Seconds to wait before trying again.',
    required: true,
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400, example: 1 },
  },
};

/** The answer's headers: the request id, the rate limit, and `extra`. */
const answerHeaders = (...extra: string[]) =>
  Object.fromEntries(
    [HEADER.requestId, HEADER.rateLimit, HEADER.rateLimitPolicy, HEADER.allowOrigin, ...extra].map(
      (name) => [name, ref('headers', name)],
    ),
  );

const PROBLEM_SCHEMA = {
  type: 'object',
  description:
    'RFC 9457 problem details: every error of the API, before or after routing, in one shape.',
  required: ['type', 'title', 'status', 'detail', 'requestId'],
  properties: {
    type: {
      ...textSchema({ maxLength: 200, format: 'uri' }),
      description: 'What kind of problem, as a URI',
    },
    title: {
      type: 'string',
      enum: [...new Set([...Object.values(TITLES), ...Object.values(OTHER_TITLES)])],
    },
    status: { type: 'integer', format: 'int32', minimum: 400, maximum: 599 },
    detail: {
      ...textSchema({ maxLength: DETAIL_MAX_LENGTH }),
      description: 'What went wrong, for a human; never internal detail',
    },
    code: {
      ...textSchema({ maxLength: 64, pattern: /^[A-Z][A-Z_]*(\.[A-Z][A-Z_]*)*$/ }),
      description: 'Stable machine-readable code, e.g. `ORDER.NOT_CANCELLABLE`',
    },
    instance: {
      ...textSchema({ maxLength: MAX_URL_LENGTH, format: 'uri-reference' }),
      description: 'The path of the request (absent when the HTTP parser refused it)',
    },
    requestId: {
      ...textSchema({ maxLength: 128, pattern: SANE_REQUEST_ID }),
      description: 'The answer’s `x-request-id`',
    },
    errors: {
      type: 'array',
      description: `On validation failures (400): one entry per field and rule, at most ${FIELD_ERRORS.maxItems}`,
      maxItems: FIELD_ERRORS.maxItems,
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: {
            ...textSchema({ maxLength: FIELD_ERRORS.fieldMaxLength }),
            description: 'Path of the field, e.g. `items[0].quantity`',
          },
          message: textSchema({ maxLength: FIELD_ERRORS.messageMaxLength }),
        },
      },
    },
  },
};

const example = problemExample;
/** Problem answers every operation may give, whatever its own rules. */
const SHARED_RESPONSES = {
  BadRequest: {
    description:
      'The request is not valid: a field breaks its rule (`errors` names each), a body that is ' +
      'not JSON, nested deeper than 32 levels or holding NUL or an unpaired surrogate, a path ' +
      'with a `.` or `..` segment, an encoded slash or a malformed percent-escape, or bytes the ' +
      'HTTP parser refuses.',
    headers: answerHeaders(),
    content: problemContent([
      example(400, 'The request is not valid.', {
        code: 'REQUEST.INVALID',
        instance: '/api/orders',
        errors: [{ field: 'items[0].quantity', message: 'quantity must not be less than 1' }],
      }),
      example(400, 'The request body is not valid JSON.', {
        code: 'REQUEST.MALFORMED_JSON',
        instance: '/api/orders',
      }),
      example(400, 'The request path has a `.` or `..` segment, or an encoded slash.', {
        code: 'REQUEST.BAD_PATH',
        instance: '/api/orders/..',
      }),
    ]),
  },
  Unauthorized: {
    description:
      'No valid access token: missing, malformed, expired, forged, or of a revoked session ' +
      '(logout, refresh-token reuse, password change, account deletion).',
    headers: answerHeaders(),
    content: problemContent([
      example(401, 'Authentication is required.', {
        code: 'AUTH.UNAUTHENTICATED',
        instance: '/api/users/me',
      }),
    ]),
  },
  ContentTooLarge: {
    description: 'The request body is larger than 1 MiB.',
    headers: answerHeaders(),
    content: problemContent([
      example(413, 'The request body is larger than 1 MiB.', {
        code: 'REQUEST.BODY_TOO_LARGE',
        instance: '/api/orders',
      }),
    ]),
  },
  UriTooLong: {
    description: `The request target is longer than ${MAX_URL_LENGTH} characters, or a path parameter longer than ${MAX_PARAM_LENGTH}.`,
    headers: answerHeaders(),
    content: problemContent([
      example(414, `A path parameter is longer than ${MAX_PARAM_LENGTH} characters.`, {
        code: 'REQUEST.URI_TOO_LONG',
        instance: `/api/orders/${'a'.repeat(MAX_PARAM_LENGTH + 1)}`,
      }),
    ]),
  },
  UnsupportedMediaType: {
    description:
      'A body that is not `application/json`, or whose Content-Type is not a valid media type.',
    headers: answerHeaders(),
    content: problemContent([
      example(415, 'The request body must be application/json.', {
        code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
        instance: '/api/orders',
      }),
    ]),
  },
  RequestHeaderFieldsTooLarge: {
    description: "The request headers are larger than Node's HTTP parser allows (16 KiB).",
    headers: answerHeaders(),
    content: problemContent([
      // Refused by the HTTP parser: there is no request, so no `instance`.
      example(431, 'The request headers are larger than the server accepts.', {
        code: 'REQUEST.HEADERS_TOO_LARGE',
      }),
    ]),
  },
  TooManyRequests: {
    description:
      'A rate limit was met (per token on authenticated routes, per client address on public ' +
      'ones); try again after `Retry-After` seconds.',
    headers: answerHeaders(HEADER.retryAfter),
    content: problemContent([
      example(429, 'Too many requests; slow down.', {
        code: 'RATE_LIMITED',
        instance: '/api/orders',
      }),
    ]),
  },
  InternalServerError: {
    description: 'A bug: logged with its cause; the answer says nothing more.',
    headers: answerHeaders(),
    content: problemContent([
      example(500, 'An unexpected error occurred.', { code: 'INTERNAL', instance: '/api/orders' }),
    ]),
  },
  ServiceUnavailable: {
    description:
      'A dependency (a database, Redis, NATS, the module that owns the route) cannot be ' +
      'reached, or the server is shutting down; try again after `Retry-After` seconds.',
    headers: answerHeaders(HEADER.retryAfter),
    content: problemContent([
      example(503, 'The order service is unavailable; try again later.', {
        code: 'SERVICE.UNAVAILABLE',
        instance: '/api/orders',
      }),
    ]),
  },
};

type SharedResponse = keyof typeof SHARED_RESPONSES;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * What every operation shares, added to the document @nestjs/swagger builds from the
 * controllers (which say what is each route's own: its body, success, and own problems):
 * the problem answers any route can give, the headers of every answer, explicit `security`
 * (a bearer token unless the route is `@Public()`), the limits of request bodies, and the
 * document's servers, tags, contact and licence.
 */
export function completeOpenApi(document: OpenAPIObject, facts: DocumentFacts): OpenAPIObject {
  const ttl = facts.accessTokenTtlSeconds;
  const paths = document.paths as unknown as Record<string, Record<string, Operation>>;
  const bodySchemas = new Set<string>();
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      operation.security = operation[facts.publicExtension] ? [] : [{ [facts.bearer]: [] }];
      delete operation[facts.publicExtension];
      const secured = operation.security.length > 0;
      const shared: Array<[string, SharedResponse]> = [
        ['400', 'BadRequest'],
        ...(secured ? ([['401', 'Unauthorized']] as Array<[string, SharedResponse]>) : []),
        ...(method === 'get'
          ? []
          : ([['413', 'ContentTooLarge']] as Array<[string, SharedResponse]>)),
        ['414', 'UriTooLong'],
        ['415', 'UnsupportedMediaType'],
        ['429', 'TooManyRequests'],
        ['431', 'RequestHeaderFieldsTooLarge'],
        ['500', 'InternalServerError'],
        ['503', 'ServiceUnavailable'],
      ];
      for (const [status, name] of shared) operation.responses[status] ??= ref('responses', name);
      for (const [status, response] of Object.entries(operation.responses)) {
        if ('$ref' in response) continue;
        const extra = status === '429' || status === '503' ? [HEADER.retryAfter] : [];
        response.headers = { ...answerHeaders(...extra), ...(response.headers as Json) };
        placeExamples(response, path);
      }
      operation.responses = sortedByStatus(operation.responses);
      const body = operation.requestBody?.content?.['application/json']?.schema;
      if (typeof body?.$ref === 'string') bodySchemas.add(body.$ref.split('/').at(-1) ?? '');
    }
  }
  const components = document.components ?? {};
  refuseUnknownFields(components.schemas as Record<string, Json>, bodySchemas);
  return {
    ...document,
    info: {
      ...document.info,
      contact: { name: 'cleave maintainers', url: 'https://cleave.dev' },
      license: { name: 'UNLICENSED (proprietary)', url: 'https://cleave.dev/license' },
    },
    servers: [
      {
        url: '/',
        description:
          'The deployment that serves this document (local, staging or production alike)',
        'x-internal': false,
      } as { url: string; description: string },
    ],
    tags: Object.entries(facts.tags).map(([name, description]) => ({ name, description })),
    components: {
      ...components,
      securitySchemes: {
        [facts.bearer]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'The `accessToken` of `POST /api/auth/login` or `POST /api/auth/refresh`: a JWT ' +
            'signed with EdDSA (Ed25519) whose key `GET /api/auth/jwks` publishes by its ' +
            '`kid`, with `sub`, `roles`, `sid`, `iss`, `aud`, `iat` and `exp`, issued and ' +
            'verified following RFC8725 (JWT best current practices: one algorithm, no ' +
            `\`alg: none\`, audience and issuer checked). It lives ACCESS_TOKEN_TTL_SECONDS ` +
            `(${ttl.default} s by default, at most ${ttl.maximum} s); a revoked session's ` +
            'tokens are refused within one second.',
        },
      },
      schemas: { ...components.schemas, Problem: PROBLEM_SCHEMA },
      responses: SHARED_RESPONSES,
      headers: HEADERS,
    },
  };
}

/** Problem examples name the operation's path as their `instance`. */
function placeExamples(response: Json, path: string): void {
  const content = response.content as Record<string, { examples?: Json }> | undefined;
  const examples = content?.['application/problem+json']?.examples ?? {};
  const instance = path.replace('{id}', '7d3f2c1a-9b8e-4f6d-a5c4-3b2a1f0e9d8c');
  for (const example of Object.values(examples) as Array<{ value: Json }>) {
    example.value.instance = instance;
  }
}

function sortedByStatus(responses: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

/** The validation pipe refuses fields a request body does not declare, at every depth. */
function refuseUnknownFields(schemas: Record<string, Json>, roots: Set<string>): void {
  if (!REFUSES_UNKNOWN_FIELDS) return;
  const seen = new Set<string>();
  const visit = (name: string) => {
    const schema = schemas[name];
    if (!schema || seen.has(name)) return;
    seen.add(name);
    schema.additionalProperties = false;
    for (const match of JSON.stringify(schema).matchAll(/#\/components\/schemas\/([\w-]+)/g)) {
      visit(match[1] ?? '');
    }
  };
  roots.forEach(visit);
}
