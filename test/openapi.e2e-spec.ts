import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import request from 'supertest';
import { startTestApp, TestApp } from './support/app';

/** API changes are deliberate: the served document must equal the committed one. */
describe('the OpenAPI document', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ store: 'pglite' });
  });
  after(() => app?.close());

  it('served at /docs/openapi.json equals the committed openapi.json (run `npm run openapi` after a deliberate change)', async () => {
    const committed: unknown = JSON.parse(
      readFileSync(join(process.cwd(), 'openapi.json'), 'utf8'),
    );
    const served = await request(app.url).get('/docs/openapi.json').expect(200);
    expect(served.body).toEqual(committed);
  });

  it('describes every route of API.md', () => {
    const document = JSON.parse(readFileSync(join(process.cwd(), 'openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'POST /api/users',
        'GET /api/users/me',
        'PATCH /api/users/me',
        'POST /api/users/me/password',
        'DELETE /api/users/me',
        'GET /api/users/{id}',
        'GET /api/users',
        'POST /api/auth/login',
        'POST /api/auth/refresh',
        'POST /api/auth/logout',
        'GET /api/auth/jwks',
        'POST /api/orders',
        'GET /api/orders',
        'GET /api/orders/{id}',
        'POST /api/orders/{id}/cancel',
        'PATCH /api/orders/{id}/status',
      ].sort(),
    );
  });
});
