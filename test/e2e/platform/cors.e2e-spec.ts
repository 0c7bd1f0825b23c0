import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app';
import { signUpAndLogin, type Account } from '../../support/api';
import { storeTargets } from '../../support/services';

/**
 * CORS, for browsers on the origins CORS_ORIGINS allows (none by default): an allowed origin can
 * read every answer (errors too) and the headers it needs, a preflight says what it may send, and
 * any other origin gets no CORS header, in one process and through the gateway of the split shape.
 */
const APP = 'https://app.example.com';

describe.each(storeTargets().filter((s) => s === 'pglite' || s === 'split'))(
  'CORS on %s',
  (store) => {
    let app: TestApp;
    let account: Account;

    beforeAll(async () => {
      app = await startTestApp({ store, env: { CORS_ORIGINS: `${APP},http://localhost:5173` } });
      account = await signUpAndLogin(app);
    });
    afterAll(() => app?.close());

    it('lets an allowed origin read answers, errors included, and the headers it needs', async () => {
      const ok = await fetch(`${app.url}/api/users/me`, {
        headers: { origin: APP, authorization: `Bearer ${account.accessToken}` },
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
      expect(ok.headers.get('access-control-expose-headers')).toEqual(
        expect.stringContaining('x-request-id'),
      );
      expect(ok.headers.get('access-control-expose-headers')).toEqual(
        expect.stringContaining('ratelimit'),
      );
      expect(ok.headers.get('vary')).toEqual(expect.stringMatching(/origin/i));
      const refused = await fetch(`${app.url}/api/users/me`, { headers: { origin: APP } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('access-control-allow-origin')).toBe(APP);
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
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP);
      expect(res.headers.get('access-control-allow-methods')).toEqual(
        expect.stringContaining('POST'),
      );
      expect(res.headers.get('access-control-allow-headers')).toEqual(
        expect.stringContaining('idempotency-key'),
      );
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

describe.each(storeTargets().filter((s) => s === 'pglite'))('CORS by default on %s', (store) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ store });
  });
  afterAll(() => app?.close());

  it('sends no CORS header to any origin', async () => {
    const res = await fetch(`${app.url}/api/auth/jwks`, { headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
