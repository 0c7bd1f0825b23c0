import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { TokenVerifier } from '../../../src/shared/security/token-verifier';
import { startTestApp, TestApp } from '../../support/app';
import { expectProblem, login, uniqueEmail } from '../../support/api';
import { routes } from '../../support/openapi';
import { shapeTargets } from '../../support/services';

const PER_TOKEN = 4;
const PER_ADDRESS = 3;
/** What test/support gives every app: no suite meets it. */
const AUTH_PER_ADDRESS = 100000;

let addresses = 0;
/** A client address of its own (the app trusts X-Forwarded-For from loopback). */
const newAddress = () => {
  addresses += 1;
  return `10.${process.pid % 250}.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`;
};

const policyHeader = (name: string, limit: number) => `"${name}";q=${limit};w=60`;

/** The `RateLimit` header of an answer: its policy, requests left and seconds to the reset. */
function rateLimitOf(res: request.Response): { policy: string; remaining: number; reset: number } {
  const match = /^"([a-z-]+)";r=(\d+);t=(\d+)$/.exec(String(res.headers.ratelimit));
  expect(match).not.toBeNull();
  const [, policy, remaining, reset] = match!;
  expect(Number(reset)).toBeGreaterThanOrEqual(1);
  expect(Number(reset)).toBeLessThanOrEqual(60);
  return { policy, remaining: Number(remaining), reset: Number(reset) };
}

function expectLimited(res: request.Response, policy: string, limit: number): void {
  expectProblem(res, 429);
  expect((res.body as { code?: string }).code).toBe('RATE_LIMITED');
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
  expect(res.headers['ratelimit-policy']).toBe(policyHeader(policy, limit));
  const { remaining, reset } = rateLimitOf(res);
  expect(remaining).toBe(0);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(retryAfter).toBe(reset);
  expect(res.headers).not.toHaveProperty('x-ratelimit-limit');
  expect(res.headers).not.toHaveProperty('x-ratelimit-remaining');
}

// The limits are counted where the route is served: in the one process, or in the module's
// process behind the gateway, which passes on the client's address and the headers.
for (const store of shapeTargets().filter((s) => s === 'pglite' || s === 'split')) {
  describe(`rate limits on ${store}`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({
        store,
        env: {
          TRUST_PROXY: 'loopback',
          RATE_LIMIT_PER_TOKEN_PER_MINUTE: String(PER_TOKEN),
          RATE_LIMIT_PER_ADDRESS_PER_MINUTE: String(PER_ADDRESS),
        },
      });
    });
    afterAll(() => app?.close());

    const from = (address: string) => ({
      get: (path: string) => request(app.url).get(path).set('x-forwarded-for', address),
      post: (path: string) => request(app.url).post(path).set('x-forwarded-for', address),
      patch: (path: string) => request(app.url).patch(path).set('x-forwarded-for', address),
    });

    /** A fresh account, signed up from an address of its own; its access token. */
    const newToken = async (): Promise<string> => {
      const email = uniqueEmail('limits');
      await from(newAddress())
        .post('/api/users')
        .send({ email, password: 'correct-horse-1', name: 'Limited' })
        .expect(201);
      return (await login(app, email, 'correct-horse-1')).accessToken;
    };
    const me = (token: string, address = newAddress()) =>
      from(address).get('/api/users/me').set('authorization', `Bearer ${token}`);

    it('puts RateLimit and RateLimit-Policy on normal and error answers of every /api route, and none on the probes', async () => {
      const token = await newToken();
      const ok = await me(token);
      expect(ok.status).toBe(200);
      expect(ok.headers['ratelimit-policy']).toBe(policyHeader('per-token', PER_TOKEN));
      expect(rateLimitOf(ok)).toMatchObject({ policy: 'per-token', remaining: PER_TOKEN - 1 });

      // The same module: in the split shape each module's processes count on their own.
      const invalid = await from(newAddress())
        .patch('/api/users/me')
        .set('authorization', `Bearer ${token}`)
        .send({ name: '' });
      expectProblem(invalid, 400);
      expect(rateLimitOf(invalid)).toMatchObject({
        policy: 'per-token',
        remaining: PER_TOKEN - 2,
      });

      const unauthenticated = await from(newAddress()).get('/api/orders');
      expectProblem(unauthenticated, 401);
      expect(unauthenticated.headers['ratelimit-policy']).toBe(
        policyHeader('per-address', PER_ADDRESS),
      );
      expect(rateLimitOf(unauthenticated)).toMatchObject({
        policy: 'per-address',
        remaining: PER_ADDRESS - 1,
      });

      if (store !== 'split') {
        // Through the gateway, a path no module serves is answered by the gateway itself.
        const unknown = await from(newAddress()).get('/api/nothing-here');
        expectProblem(unknown, 404);
        expect(rateLimitOf(unknown).policy).toBe('per-address');
      }

      const jwks = await from(newAddress()).get('/api/auth/jwks').expect(200);
      expect(jwks.headers['ratelimit-policy']).toBe(
        policyHeader('auth-per-address', AUTH_PER_ADDRESS),
      );
      expect(rateLimitOf(jwks).policy).toBe('auth-per-address');

      for (const probe of ['/health', '/ready', '/metrics']) {
        const res = await request(app.url).get(probe);
        expect(res.headers).not.toHaveProperty('ratelimit');
        expect(res.headers).not.toHaveProperty('ratelimit-policy');
      }
      expect(ok.headers).not.toHaveProperty('x-ratelimit-limit');
    });

    it('answers 429 on every operation of openapi.json with a token or address past its limit', async () => {
      const token = await newToken();
      const address = newAddress();
      // Spend the token's budget in each module that counts it, and the address's.
      for (let i = 0; i < PER_TOKEN; i++) {
        await me(token, address);
        await from(address).get('/api/orders').set('authorization', `Bearer ${token}`);
      }
      for (let i = 0; i < PER_ADDRESS; i++) await from(address).post('/api/users').send({});
      let limited = 0;
      for (const route of routes()) {
        if (route.path.startsWith('/api/auth/')) continue; // their own policy, left high for the suites
        const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
        const path = route.path.replace('{id}', randomUUID());
        const isPublic = !route.secured;
        let req = request(app.url)[method](path).set('x-forwarded-for', address);
        if (!isPublic) req = req.set('authorization', `Bearer ${token}`);
        const res = method === 'get' || method === 'delete' ? await req : await req.send({});
        expectLimited(
          res,
          isPublic ? 'per-address' : 'per-token',
          isPublic ? PER_ADDRESS : PER_TOKEN,
        );
        limited += 1;
      }
      expect(limited).toBeGreaterThanOrEqual(12);
    });

    it('answers a token past its limit 429 problem+json with Retry-After, from any address; another token is not limited', async () => {
      const [spent, other] = [await newToken(), await newToken()];
      for (let i = 0; i < PER_TOKEN; i++) await me(spent).expect(200);
      expectLimited(await me(spent), 'per-token', PER_TOKEN);
      // The budget is the token's, wherever it comes from.
      expectLimited(await me(spent, newAddress()), 'per-token', PER_TOKEN);

      const fresh = await me(other).expect(200);
      expect(rateLimitOf(fresh).remaining).toBe(PER_TOKEN - 1);
    });

    it('answers an address past its limit 429 on a public route; other addresses and tokens are not limited', async () => {
      const spent = newAddress();
      const signUp = (address: string) =>
        from(address)
          .post('/api/users')
          .send({ email: uniqueEmail('limits'), password: 'correct-horse-1', name: 'n' });
      for (let i = 0; i < PER_ADDRESS; i++) expect((await signUp(spent)).status).toBe(201);
      expectLimited(await signUp(spent), 'per-address', PER_ADDRESS);

      expect((await signUp(newAddress())).status).toBe(201);
      // A token's requests from the spent address count against the token, not the address.
      await me(await newToken(), spent).expect(200);
    });

    it('counts a token that does not verify against the address, so made-up tokens open no budget', async () => {
      const address = newAddress();
      const madeUp = (n: number) =>
        from(address).get('/api/users/me').set('authorization', `Bearer a.b.made-up-${n}`);
      for (let i = 0; i < PER_ADDRESS; i++) {
        const res = await madeUp(i);
        expectProblem(res, 401);
        expect(rateLimitOf(res).policy).toBe('per-address');
      }
      expectLimited(await madeUp(PER_ADDRESS), 'per-address', PER_ADDRESS);
    });

    if (store !== 'split') {
      // In process only: the split shape's modules are processes of their own.
      it("looks a request's token up once: the per-token limit and the guard share the answer", async () => {
        const token = await newToken();
        const lookups = jest.spyOn(app.app!.get(TokenVerifier), 'verify');
        try {
          const ok = await me(token);
          expect(ok.status).toBe(200);
          expect(rateLimitOf(ok).policy).toBe('per-token');
          expect(lookups).toHaveBeenCalledTimes(1);
          // A token that does not verify: counted by address, refused by the guard, one lookup.
          const forged = await me(`${token.slice(0, -6)}AAAAAA`);
          expectProblem(forged, 401);
          expect(rateLimitOf(forged).policy).toBe('per-address');
          expect(lookups).toHaveBeenCalledTimes(2);
        } finally {
          lookups.mockRestore();
        }
      });
    }
  });
}

describe('rate limits refuse before any work', () => {
  let app: TestApp;
  beforeAll(async () => {
    // No TRUST_PROXY: X-Forwarded-For is the client's word, and means nothing.
    app = await startTestApp({
      store: 'pglite',
      env: { RATE_LIMIT_PER_ADDRESS_PER_MINUTE: String(PER_ADDRESS) },
    });
  });
  afterAll(() => app?.close());

  it('puts the headers on a 413 and a 415, counts them, and takes no X-Forwarded-For from an untrusted client', async () => {
    const post = (forwardedFor: string) =>
      request(app.url).post('/api/users').set('x-forwarded-for', forwardedFor);
    const tooLarge = await post('10.1.0.1')
      .set('content-type', 'application/json')
      .send(`{"name":"${'x'.repeat(1024 * 1024)}"}`);
    expectProblem(tooLarge, 413);
    expect(rateLimitOf(tooLarge)).toMatchObject({
      policy: 'per-address',
      remaining: PER_ADDRESS - 1,
    });
    const badType = await post('10.1.0.2').set('content-type', 'application/json;;;').send('{}');
    expectProblem(badType, 415);
    expect(rateLimitOf(badType).remaining).toBe(PER_ADDRESS - 2);
    await post('10.1.0.3').send({});
    expectLimited(await post('10.1.0.4').send({}), 'per-address', PER_ADDRESS);
  });
});

describe('rate limits turned off', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      store: 'pglite',
      env: { RATE_LIMIT_PER_TOKEN_PER_MINUTE: '0', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '0' },
    });
  });
  afterAll(() => app?.close());

  it('with 0 limits nothing outside /api/auth and carries no headers there', async () => {
    const res = await request(app.url).get('/api/orders');
    expectProblem(res, 401);
    expect(res.headers).not.toHaveProperty('ratelimit');
    const jwks = await request(app.url).get('/api/auth/jwks').expect(200);
    expect(rateLimitOf(jwks).policy).toBe('auth-per-address');
  });
});
