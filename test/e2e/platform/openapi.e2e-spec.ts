import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { useTestApp } from '../../support/app';
import { OPENAPI, routes } from '../../support/openapi';

/** API changes are deliberate: the served document must equal the committed one. */
describe('the OpenAPI document', () => {
  const app = useTestApp({ store: 'pglite' });

  it('served at /docs/openapi.json equals the committed openapi.json (run `npm run openapi` after a deliberate change)', async () => {
    const committed: unknown = JSON.parse(
      readFileSync(join(process.cwd(), 'openapi.json'), 'utf8'),
    );
    const served = await request(app.url).get('/docs/openapi.json').expect(200);
    expect(served.body).toEqual(committed);
  });

  it('marks exactly the routes that need a token as secured: each is called without one', async () => {
    for (const route of routes()) {
      const path = route.path.replace('{id}', '00000000-0000-4000-8000-000000000000');
      const http = request(app.url);
      const res = await http[route.method.toLowerCase() as 'get' | 'post'](path)
        .set('content-type', 'application/json')
        .send('{}');
      expect({ route: `${route.method} ${route.path}`, secured: res.status === 401 }).toEqual({
        route: `${route.method} ${route.path}`,
        secured: route.secured,
      });
    }
  });

  it("names the package's version and points at the contract its readers have", () => {
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(OPENAPI.info.version).toBe(pkg.version);
    expect(OPENAPI.info.description).toContain('docs/api.md');
    expect(OPENAPI.info.description).not.toMatch(/\bAPI\.md/);
  });

  it('describes every route of docs/api.md', () => {
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
