import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestApp, TestApp } from '../../support/app';
import { Account, bearer, createOrder, expectProblem, signUpAndLogin } from '../../support/api';
import { routes, stringFields, validExample, withValueAt } from '../../support/openapi';
import type { RawResponse } from '../../support/raw-http';
import { checkedRawRequest } from '../../support/conformance';
import { shapeTargets } from '../../support/services';

const UUID = '00000000-0000-4000-8000-000000000000';

/** What no answer may ever carry: stacks, paths, SQL, driver or framework internals. */
const LEAKS =
  /\bat .+\(.+:\d+:\d+\)|node_modules|\/work\/|\/src\/|\bFST_|\bHPE_|\bSELECT\b|\bINSERT\b|\bQueryFailed|\bMongo|\bpg-pool|TypeError|ReferenceError/;

function expectRawProblem(res: RawResponse, status: number, code: string): void {
  expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
    status,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  expect(body).toMatchObject({
    status,
    code,
    title: expect.any(String),
    detail: expect.any(String),
    requestId: res.headers['x-request-id'],
  });
  expect(res.body).not.toMatch(LEAKS);
}

/** One raw request: the request line, headers (Host given unless `host` is false), body. */
const raw = (head: string, { host = true, body = '' } = {}) =>
  `${head}\r\n${host ? 'Host: localhost\r\n' : ''}${body === '' ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`}\r\n${body}`;

// The edge is the same code in every shape; the one-process shape and the gateway of the split
// shape (which reads bodies whole and passes JSON on to the module, which reads it) are the two
// places it runs.
for (const store of shapeTargets().filter((s) => s === 'pglite' || s === 'split')) {
  describe(`hostile input on ${store}`, () => {
    let app: TestApp;
    let account: Account;
    let orderId: string;

    beforeAll(async () => {
      app = await startTestApp({ store });
      account = await signUpAndLogin(app, 'Unchanged Name');
      orderId = (await createOrder(app, account)).id;
    });
    afterAll(() => app?.close());

    const send = (method: string, path: string, body: unknown) => {
      const target = path.replace('{id}', method === 'GET' ? UUID : orderId);
      const verb = method.toLowerCase() as 'post' | 'patch';
      const http = request(app.url);
      return http[verb](target)
        .set(...bearer(account))
        .set('content-type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body));
    };

    const expectUnchanged = async () => {
      const me = await request(app.url)
        .get('/api/users/me')
        .set(...bearer(account))
        .expect(200);
      expect(me.body).toMatchObject({ name: 'Unchanged Name', orderSummary: { total: 1 } });
      const order = await request(app.url)
        .get(`/api/orders/${orderId}`)
        .set(...bearer(account))
        .expect(200);
      expect(order.body).toMatchObject({ status: 'pending' });
    };

    const bodyRoutes = routes().filter((r) => r.body);

    it('refuses NUL and unpaired surrogates in every string field of every body, naming the field', async () => {
      for (const route of bodyRoutes) {
        const valid = validExample(route.body!);
        for (const field of stringFields(route.body!)) {
          for (const bad of ['a\u0000b', 'a\ud800b', '\udc00']) {
            const res = await send(route.method, route.path, withValueAt(valid, field, bad));
            expectProblem(res, 400);
            expect({ route: `${route.method} ${route.path}`, errors: res.body.errors }).toEqual({
              route: `${route.method} ${route.path}`,
              errors: expect.arrayContaining([
                { field, message: 'must not contain NUL characters or unpaired UTF-16 surrogates' },
              ]),
            });
          }
        }
      }
      await expectUnchanged();
    });

    it('refuses JSON nested deeper than 32 levels with 400 naming the field, whatever the route', async () => {
      for (const route of bodyRoutes) {
        const deepArrays = '['.repeat(5000) + ']'.repeat(5000);
        const deepField = `{"${Object.keys(route.body!.properties ?? { x: 1 })[0]}":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
        for (const body of [deepArrays, deepField]) {
          const res = await send(route.method, route.path, body);
          expectProblem(res, 400);
          expect(res.body.errors[0]).toMatchObject({ message: 'is nested deeper than 32 levels' });
        }
      }
      await expectUnchanged();
    });

    it('refuses items that are not objects, [[]] included', async () => {
      for (const items of [
        [[]],
        [null],
        [1],
        ['x'],
        [[{ sku: 'A', name: 'n', quantity: 1, unitPriceCents: 1 }]],
      ]) {
        const res = await send('POST', '/api/orders', { currency: 'EUR', items });
        expectProblem(res, 400);
        expect(res.body.errors[0]).toMatchObject({ field: expect.stringMatching(/^items/) });
      }
      await expectUnchanged();
    });

    it('answers malformed and over-long URLs with problem+json and a request id', async () => {
      expectRawProblem(
        await checkedRawRequest(app, raw('GET /api/orders/%zz HTTP/1.1')),
        400,
        'REQUEST.BAD_URL',
      );
      expectRawProblem(
        await checkedRawRequest(app, raw(`GET /api/orders/${'a'.repeat(101)} HTTP/1.1`)),
        414,
        'REQUEST.URI_TOO_LONG',
      );
      expectRawProblem(
        await checkedRawRequest(app, raw(`GET /api/orders?x=${'a'.repeat(5000)} HTTP/1.1`)),
        414,
        'REQUEST.URI_TOO_LONG',
      );
    });

    it('answers what the HTTP parser refuses with problem+json and a fresh request id', async () => {
      const cases: Array<[string, string, number, string]> = [
        [
          'bad chunked encoding',
          `${raw('POST /api/users HTTP/1.1').slice(0, -2)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
          400,
          'REQUEST.MALFORMED',
        ],
        [
          'Content-Length and Transfer-Encoding',
          'POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
          400,
          'REQUEST.MALFORMED',
        ],
        [
          'a control byte in a header',
          'GET /health HTTP/1.1\r\nHost: x\r\nX-Bad\x01: y\r\n\r\n',
          400,
          'REQUEST.MALFORMED',
        ],
        ['an unknown method', raw('BREW /api/users HTTP/1.1'), 400, 'REQUEST.MALFORMED'],
        [
          'no Host header',
          raw('GET /api/users/me HTTP/1.1', { host: false }),
          400,
          'REQUEST.NO_HOST',
        ],
        [
          'headers over the limit',
          raw(`GET /health HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}`),
          431,
          'REQUEST.HEADERS_TOO_LARGE',
        ],
      ];
      for (const [name, bytes, status, code] of cases) {
        await it_(name, async () =>
          expectRawProblem(await checkedRawRequest(app, bytes), status, code),
        );
      }
    });

    it('answers a malformed media type with 415, and a dot segment or encoded slash in the path with 400, token or not, in every shape', async () => {
      const body = JSON.stringify({
        email: 'x@example.com',
        password: 'correct-horse-1',
        name: 'X',
      });
      for (const type of ['application/json;;;', 'application/json; charset', '/json', 'json']) {
        expectRawProblem(
          await checkedRawRequest(
            app,
            `POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          ),
          415,
          'REQUEST.UNSUPPORTED_MEDIA_TYPE',
        );
      }
      const token = `Authorization: Bearer ${account.accessToken}\r\n`;
      for (const path of [
        '/api/orders/..%2F..%2Fetc%2Fpasswd',
        '/api/orders/../../etc/passwd',
        '/api/orders/%2e%2e',
        '/api/users/a%2Fb',
        '/api/orders/.',
      ]) {
        for (const auth of ['', token]) {
          expectRawProblem(
            await checkedRawRequest(app, `GET ${path} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`),
            400,
            'REQUEST.BAD_PATH',
          );
        }
      }
    });

    it("honours a client's Connection: close, on an answer without a body too", async () => {
      const login = await request(app.url)
        .post('/api/auth/login')
        .send({ email: account.email, password: account.password })
        .expect(200);
      const { refreshToken } = login.body as { refreshToken: string };
      const body = JSON.stringify({ refreshToken });
      const res = await checkedRawRequest(
        app,
        `POST /api/auth/logout HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${account.accessToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      expect(res.status).toBe(204);
      expect(res.headers.connection).toBe('close');
    });

    it('answers unknown routes and methods with problem+json', async () => {
      expectRawProblem(
        await checkedRawRequest(app, raw('PROPFIND /api/users HTTP/1.1')),
        404,
        'ROUTE.NOT_FOUND',
      );
      expectRawProblem(
        await checkedRawRequest(app, raw('GET /nowhere HTTP/1.1')),
        404,
        'ROUTE.NOT_FOUND',
      );
    });

    it('answers a JSON body that is no object, and a request expecting 100-continue, as any other: never 5xx', async () => {
      for (const body of ['false', '0', 'null', '""']) {
        const res = await send('PATCH', '/api/users/me', body);
        expectProblem(res, 400);
      }
      // The body follows the server's 100 Continue, as a client that expects one sends it.
      const body = JSON.stringify({ name: 'Unchanged Name' });
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const [name, value] = bearer(account);
        const sent = httpRequest(`${app.url}/api/users/me`, {
          method: 'PATCH',
          headers: {
            [name]: value,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            expect: '100-continue',
          },
        });
        sent.on('continue', () => sent.end(body));
        sent.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        sent.on('error', reject);
      });
      expect(status).toBe(200);
      await expectUnchanged();
    });

    it('answers a body that is not JSON, or poisons prototypes, with 400 in its own words', async () => {
      for (const body of [
        '{"a":',
        '{"__proto__":{"admin":true},"name":"x"}',
        '{"constructor":{"prototype":{}}}',
      ]) {
        const res = await send('PATCH', '/api/users/me', body);
        expectProblem(res, 400);
        expect(res.body).toMatchObject({ code: 'REQUEST.MALFORMED_JSON' });
        expect(JSON.stringify(res.body)).not.toMatch(LEAKS);
      }
      await expectUnchanged();
    });
  });
}

/** Names the case in a failure (a test cannot declare tests while it runs). */
async function it_(name: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
