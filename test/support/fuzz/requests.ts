import fc from 'fast-check';
import { resolve, routes, type Route, type Schema } from '../openapi';

/** Who a generated request claims to be; resolved to a token when it is sent. */
export type Auth =
  | { kind: 'none' }
  | { kind: 'user'; slot: number }
  | { kind: 'admin' }
  | { kind: 'raw'; value: string };

/** What a path parameter is; resolved to an id when the request is sent. */
export type PathValue =
  { kind: 'own-order' } | { kind: 'own-user' } | { kind: 'raw'; value: string };

/** One generated request, symbolic where it names the fuzz run's own accounts and orders. */
export interface FuzzRequest {
  method: string;
  route: string;
  path: PathValue[];
  query: Array<[string, string]>;
  auth: Auth;
  headers: Array<[string, string]>;
  body?: string;
}

export const USER_SLOTS = 4;

/** Present one time in four. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

/** Strings that have broken servers before. */
const NASTY_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  'x\ud800y',
  '\udc00',
  '\ud83d\ude00',
  '\u202e\u0627',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  "' OR '1'='1' --",
  '"; DROP TABLE users; --',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00',
  '%zz',
  '__proto__',
  'constructor',
  'x'.repeat(201),
  'x'.repeat(5000),
  'A'.repeat(1000) + '@example.com',
];

const loneSurrogates = fc.string({
  unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 3,
});

/** Any JSON value at all, with the nasty ones overrepresented. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: loneSurrogates },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      0,
      -1,
      1.5,
      -0.5,
      1e308,
      -1e308,
      2 ** 53,
      2 ** 31,
      100_000_001,
      true,
      false,
      null,
      [],
      {},
      [[]],
      [null],
      { sku: 1 },
    ),
  },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.integer() },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 2, max: 80 }).map((depth) => {
      let value: unknown = 'deep';
      for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
      return value;
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A value the schema accepts. */
function validValue(schema: Schema): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type ?? 'object') {
    case 'string':
      if (s.format === 'email') return fc.emailAddress();
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
      return fc.string({
        minLength: Math.max(s.minLength ?? 1, 8),
        maxLength: Math.min(s.maxLength ?? 40, 40),
      });
    case 'integer':
    case 'number':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(value(s.items ?? {}), { minLength: s.minItems ?? 0, maxLength: 3 });
    default:
      return objectValue(s);
  }
}

/** Mostly valid, sometimes hostile: so that most requests get past the first check. */
function value(schema: Schema): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 12, arbitrary: validValue(schema) },
    { weight: 1, arbitrary: hostileValue },
  );
}

/** Each property present (or, now and then, missing), sometimes with an unknown one added. */
function objectValue(schema: Schema): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema.properties ?? {});
  return fc
    .tuple(
      fc.tuple(
        ...properties.map(([, child]) => fc.option(value(child), { freq: 40, nil: undefined })),
      ),
      // An unknown field, now and then (missing ones are rarer still: 1 in 40).
      rarely(
        fc.tuple(
          fc.constantFrom('admin', 'roles', 'id', 'userId', 'status', '__proto__', 'x'),
          hostileValue,
        ),
      ),
    )
    .map(([values, extra]) => {
      const body: Record<string, unknown> = {};
      properties.forEach(([key], i) => {
        if (values[i] !== undefined) body[key] = values[i];
      });
      if (extra) Object.defineProperty(body, extra[0], { value: extra[1], enumerable: true });
      return body;
    });
}

/** Bodies that are not JSON, or not the JSON anyone expects. */
const rawBody = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '{"a":',
    'null',
    '[]',
    '"x"',
    '1',
    '{"a":1,"a":2}',
    '{"__proto__":{"admin":true}}',
    '\u0000',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 60 }),
  fc.integer({ min: 30, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 30, max: 3_000 }).map((n) => '{"items":'.repeat(n) + '1' + '}'.repeat(n)),
);

function bodyFor(route: Route): fc.Arbitrary<string | undefined> {
  const schema = route.body;
  const json = schema ? value(schema).map((v) => JSON.stringify(v)) : fc.constant(undefined);
  return fc.oneof(
    { weight: 8, arbitrary: json },
    { weight: 2, arbitrary: rawBody },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: json.chain((text) =>
        text === undefined || text.length < 2
          ? fc.constant(text)
          : fc.integer({ min: 1, max: text.length - 1 }).map((cut) => text.slice(0, cut)),
      ),
    },
  );
}

/** A path segment as a hostile client would send it (visible ASCII, percent-escapes and all). */
const rawSegment = fc.oneof(
  fc.constantFrom(
    '%zz',
    '%',
    '%00',
    '%ED%A0%80',
    '..',
    '%2e%2e',
    'a'.repeat(150),
    '00000000-0000-4000-8000-000000000000',
    'me',
    '%F0%9F%98%80',
  ),
  fc.uuid().map((u) => u),
  fc
    .string({ unit: 'binary-ascii', minLength: 1, maxLength: 50 })
    .map((s) =>
      s.replace(/[^\x21-\x7e]|[?#]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`),
    ),
);

const pathValue: fc.Arbitrary<PathValue> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<PathValue>({ kind: 'own-order' }) },
  { weight: 1, arbitrary: fc.constant<PathValue>({ kind: 'own-user' }) },
  { weight: 3, arbitrary: rawSegment.map((value): PathValue => ({ kind: 'raw', value })) },
);

const queryValue = fc.oneof(
  fc.constantFrom(
    '1',
    '20',
    '100',
    '0',
    '101',
    '-1',
    '1.5',
    'abc',
    'pending',
    'shipped',
    'PENDING',
    '',
  ),
  fc.constantFrom(...NASTY_STRINGS).map((s) => encodeURIComponent(s.isWellFormed() ? s : 'x')),
  fc.constantFrom('%zz', '%00', '%ED%A0%80', 'a'.repeat(300)),
  fc.base64String({ maxLength: 60 }),
);

function queryFor(route: Route): fc.Arbitrary<Array<[string, string]>> {
  const names = (route.operation.parameters ?? [])
    .filter((p) => p.in === 'query')
    .map((p) => p.name);
  const name = fc.oneof(
    { weight: 4, arbitrary: names.length > 0 ? fc.constantFrom(...names) : fc.constant('limit') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('admin', 'x', '__proto__', 'limit[]', 'a'.repeat(200)),
    },
  );
  return fc.array(fc.tuple(name, queryValue), { maxLength: 3 });
}

const TOKEN_LIKE = fc.oneof(
  fc.constantFrom(
    'Bearer ',
    'Bearer x',
    'Bearer a.b.c',
    'Basic dXNlcjpwYXNz',
    'bearer',
    // alg none, HS256 "signed" with nothing, and a valid-looking shape with junk.
    'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDAiLCJyb2xlcyI6WyJhZG1pbiJdfQ.',
    'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZXMiOlsiYWRtaW4iXX0.c2lnbmF0dXJl',
  ),
  fc
    .string({
      unit: fc.constantFrom(
        ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'.split(''),
      ),
      maxLength: 300,
    })
    .map((s) => `Bearer ${s}`),
);

const auth: fc.Arbitrary<Auth> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .integer({ min: 0, max: USER_SLOTS - 1 })
      .map((slot): Auth => ({ kind: 'user', slot })),
  },
  { weight: 2, arbitrary: fc.constant<Auth>({ kind: 'admin' }) },
  { weight: 1, arbitrary: fc.constant<Auth>({ kind: 'none' }) },
  { weight: 1, arbitrary: TOKEN_LIKE.map((value): Auth => ({ kind: 'raw', value })) },
);

const visible = (max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: max,
  });

const headers: fc.Arbitrary<Array<[string, string]>> = fc
  .tuple(
    fc.oneof(
      { weight: 14, arbitrary: fc.constant<string | undefined>('application/json') },
      { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
      {
        weight: 3,
        arbitrary: fc.constantFrom<string | undefined>(
          'application/json; charset=utf-8',
          'Application/JSON',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/problem+json',
          '*/*',
        ),
      },
      {
        // Not media types at all: the gateway's proxy could not read these (a 500 once).
        weight: 2,
        arbitrary: fc.oneof(
          fc.constantFrom<string | undefined>(
            'application/json;;;',
            'application/json; charset',
            'application/json;a',
            '/json',
            'application/',
            'json',
            'application/json; charset="utf-8',
          ),
          visible(40),
        ),
      },
    ),
    rarely(fc.oneof(fc.uuid(), visible(200), fc.constantFrom('a b', '../x', 'x'.repeat(129)))),
    rarely(fc.oneof(fc.uuid(), visible(300), fc.constantFrom('fuzz-key-1', 'fuzz-key-2'))),
    rarely(fc.constantFrom('gzip', 'br', 'identity', 'x')),
  )
  .map(([type, id, key, encoding]) => {
    const list: Array<[string, string]> = [];
    if (type !== undefined) list.push(['content-type', type]);
    if (id !== undefined) list.push(['x-request-id', id.trim() || 'x']);
    if (key !== undefined) list.push(['idempotency-key', key.trim() || 'k']);
    if (encoding !== undefined) list.push(['content-encoding', encoding]);
    return list;
  });

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PROPFIND',
  'BREW',
];

/** One request for one route of the document, mostly as the route expects it. */
function requestFor(route: Route): fc.Arbitrary<FuzzRequest> {
  const params = (route.path.match(/\{[^}]+\}/g) ?? []).length;
  return fc
    .record({
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
      ),
      path: fc.array(pathValue, { minLength: params, maxLength: params }),
      query: queryFor(route),
      auth,
      headers,
      body: bodyFor(route),
    })
    .map((r) => ({ ...r, route: route.path }));
}

/** Requests over every route of the committed OpenAPI document, and a few beside them. */
export function fuzzRequests(): fc.Arbitrary<FuzzRequest> {
  const all = routes();
  return fc.oneof(...all.map((route) => ({ weight: 10, arbitrary: requestFor(route) })), {
    weight: 3,
    arbitrary: fc.record({
      method: fc.constantFrom(...METHODS),
      route: fc.constantFrom(
        '/',
        '/api',
        '/api/',
        '/api/users/me/x',
        '/docs',
        '/docs/openapi.json',
        '/health',
        '/ready',
        '/metrics',
        '/api/orders/{id}/x/{id}',
        '//api//users',
      ),
      path: fc.array(pathValue, { minLength: 2, maxLength: 2 }),
      query: fc.array(fc.tuple(fc.constant('q'), queryValue), { maxLength: 2 }),
      auth,
      headers,
      body: fc.option(rawBody, { nil: undefined }),
    }),
  });
}
