import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OpenAPIV3 } from 'openapi-types';
import { startTestApp, type TestApp } from '../../support/app';
import { uniqueEmail } from '../../support/api';
import { Conformance, ConformanceProxy } from '../../support/conformance';
import { ROOT } from '../../support/paths';
import { shapeTargets } from '../../support/services';

/**
 * The live contract check itself (test/support/conformance.ts), which every API suite's traffic
 * goes through: an answer the document does not have fails the suite that got it. Shown here
 * against the real app, with the committed document and with copies of it that lack an answer or
 * demand a field the app does not send.
 */
const committed = (): OpenAPIV3.Document =>
  JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as OpenAPIV3.Document;

const me = (document: OpenAPIV3.Document): OpenAPIV3.OperationObject =>
  document.paths['/api/users/me']!.get!;

describe.each(shapeTargets().filter((s) => s === 'pglite'))('the live contract check', (store) => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    app = await startTestApp({ store, conformance: false });
    const email = uniqueEmail('contract');
    const password = 'correct-horse-1';
    const post = (path: string, body: unknown) =>
      fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/api/users', { email, password, name: 'Contract' })).status).toBe(201);
    token = (
      (await (await post('/api/auth/login', { email, password })).json()) as {
        accessToken: string;
      }
    ).accessToken;
  });

  afterAll(async () => {
    await app?.close();
  });

  const getMe = (url: string) =>
    fetch(`${url}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });

  it('passes answers the committed document has', async () => {
    const proxy = await ConformanceProxy.start(app.url, 'committed');
    const res = await getMe(proxy.url);
    expect(res.status).toBe(200);
    await expect(proxy.close()).resolves.toBeUndefined();
    expect(proxy.violations).toEqual([]);
  });

  it('fails the run on a status the document does not list for the operation', async () => {
    const document = committed();
    delete me(document).responses['200'];
    const proxy = await ConformanceProxy.start(app.url, 'no 200', await Conformance.load(document));
    // The client still gets the app's answer, unchanged ...
    expect((await getMe(proxy.url)).status).toBe(200);
    // ... and the suite fails when it closes the app, naming the answer.
    await expect(proxy.close()).rejects.toThrow(
      /GET \/api\/users\/me → 200: status 200 is not documented/,
    );
  });

  it('fails the run on a body that does not match the documented schema', async () => {
    const document = committed();
    const ok = me(document).responses['200'] as OpenAPIV3.ResponseObject;
    const schema = Object.values(ok.content ?? {})[0].schema as
      OpenAPIV3.ReferenceObject | OpenAPIV3.SchemaObject;
    // The same schema, demanding a field the app never sends.
    Object.values(ok.content ?? {})[0].schema = {
      allOf: [schema, { type: 'object', required: ['nickname'] }],
    };
    const proxy = await ConformanceProxy.start(
      app.url,
      'nickname',
      await Conformance.load(document),
    );
    expect((await getMe(proxy.url)).status).toBe(200);
    await expect(proxy.close()).rejects.toThrow(/body: .*nickname/);
  });

  it('fails the run on a missing documented header', async () => {
    const document = committed();
    const ok = me(document).responses['200'] as OpenAPIV3.ResponseObject;
    ok.headers = {
      ...ok.headers,
      'x-cleave-shard': { required: true, schema: { type: 'string' } },
    };
    const proxy = await ConformanceProxy.start(app.url, 'header', await Conformance.load(document));
    expect((await getMe(proxy.url)).status).toBe(200);
    await expect(proxy.close()).rejects.toThrow(/headers: .*x-cleave-shard/);
  });
});
