import { describe, expect, it } from '@jest/globals';
import { useTestApp } from '../../support/app';
import { useAccount } from '../../support/api';
import { shapeTargets } from '../../support/services';

/**
 * CORS, for browsers on the origins CORS_ORIGINS allows (none by default): an allowed origin can
 * read every answer (errors too) and the headers it needs, a preflight says what it may send, and
 * any other origin gets no CORS header, in one process and through the gateway of the split shape.
 */
const APP = 'https://app.example.com';

/** The answer has `status` and lets APP's scripts read it. */
function expectReadableByApp(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('access-control-allow-origin')).toBe(APP);
}

/** The header `name` lists `value` (among others). */
function expectListed(res: Response, name: string, value: string): void {
  expect(res.headers.get(name)).toEqual(expect.stringContaining(value));
}

describe.each(shapeTargets().filter((s) => s === 'pglite' || s === 'split'))(
  'CORS on %s',
  (store) => {
    const app = useTestApp({ store, env: { CORS_ORIGINS: `${APP},http://localhost:5173` } });
    const account = useAccount(app);

    it('lets an allowed origin read answers, errors included, and the headers it needs', async () => {
      const ok = await fetch(`${app.url}/api/users/me`, {
        headers: { origin: APP, authorization: `Bearer ${account.accessToken}` },
      });
      expectReadableByApp(ok, 200);
      expectListed(ok, 'access-control-expose-headers', 'x-request-id');
      expectListed(ok, 'access-control-expose-headers', 'ratelimit');
      expect(ok.headers.get('vary')).toEqual(expect.stringMatching(/origin/i));
      const refused = await fetch(`${app.url}/api/users/me`, { headers: { origin: APP } });
      expectReadableByApp(refused, 401);
    });

    it('answers a preflight with what may be sent, and counts it against no rate limit', async () => {
      const res = await fetch(`${app.url}/api/orders`, {
        method: 'OPTIONS',
        headers: {
          origin: APP,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, idempotency-key',
        },
      });
      expectReadableByApp(res, 204);
      expectListed(res, 'access-control-allow-methods', 'POST');
      expectListed(res, 'access-control-allow-headers', 'idempotency-key');
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.get('ratelimit')).toBeNull();
      expect(res.headers.get('x-request-id')).toBeTruthy();
    });

    it('gives another origin no CORS header, so its scripts cannot read the answer', async () => {
      const res = await fetch(`${app.url}/api/auth/jwks`, {
        headers: { origin: 'https://evil.example.net' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${app.url}/api/orders`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    });
  },
);

describe.each(shapeTargets().filter((s) => s === 'pglite'))('CORS by default on %s', (store) => {
  const app = useTestApp({ store });

  it('sends no CORS header to any origin', async () => {
    const res = await fetch(`${app.url}/api/auth/jwks`, { headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
