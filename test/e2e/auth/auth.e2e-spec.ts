import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, JWK, SignJWT } from 'jose';
import request from 'supertest';
import { useTestApp } from '../../support/app';
import {
  Account,
  expectProblem,
  httpFor,
  login,
  loginAttempt,
  signUpAndLogin,
  uniqueEmail,
} from '../../support/api';
import { shapeTargets } from '../../support/services';

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

for (const store of shapeTargets()) {
  describe(`auth on ${store}`, () => {
    /** The private signing key the app is started with, so the tests can mint tokens it trusts. */
    const signingJwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as JWK;
    const app = useTestApp({ store, env: { AUTH_SIGNING_KEY: JSON.stringify(signingJwk) } });
    const http = httpFor(app);
    const refresh = (refreshToken: string) =>
      http().post('/api/auth/refresh').send({ refreshToken });

    describe('POST /api/auth/login', () => {
      it('answers 200 with a Bearer pair whose access token lives at most 15 minutes', async () => {
        const account = await signUpAndLogin(app);
        const res = await loginAttempt(app, account.email, account.password);
        expect(res.status).toBe(200);
        const pair = res.body as TokenPair;
        expect(Object.keys(pair).sort()).toEqual([
          'accessToken',
          'expiresIn',
          'refreshToken',
          'tokenType',
        ]);
        expect(pair.tokenType).toBe('Bearer');
        expect(Number.isInteger(pair.expiresIn)).toBe(true);
        expect(pair.expiresIn).toBeGreaterThan(0);
        expect(pair.expiresIn).toBeLessThanOrEqual(900);
        expect(pair.refreshToken).not.toBe(pair.accessToken);
        // Refresh tokens are opaque: not a JWT.
        expect(pair.refreshToken.split('.')).toHaveLength(1);
        await http(pair).get('/api/users/me').expect(200);
      });

      it('logs in with the email in another letter case', async () => {
        const account = await signUpAndLogin(app);
        await login(app, account.email.toUpperCase(), account.password);
      });

      it('answers 401 with the same body for an unknown email and a wrong password', async () => {
        const account = await signUpAndLogin(app);
        const unknown = await loginAttempt(app, uniqueEmail('nobody'), account.password);
        const wrong = await loginAttempt(app, account.email, 'wrong-password-9');
        expectProblem(unknown, 401);
        expectProblem(wrong, 401);
        // The same apart from the request id, which is each request's own.
        expect({ ...(unknown.body as object), requestId: undefined }).toEqual({
          ...(wrong.body as object),
          requestId: undefined,
        });
      });

      it('rejects missing fields and unknown fields with 400', async () => {
        expectProblem(await http().post('/api/auth/login').send({ email: uniqueEmail() }), 400);
        expectProblem(
          await http()
            .post('/api/auth/login')
            .send({ email: uniqueEmail(), password: 'x', admin: true }),
          400,
        );
      });

      it('locks an email after 5 failures with 429 and Retry-After, even for the right password; other emails are unaffected', async () => {
        const victim = await signUpAndLogin(app);
        const bystander = await signUpAndLogin(app);
        for (let i = 0; i < 5; i++) {
          expectProblem(await loginAttempt(app, victim.email, `wrong-${i}-password`), 401);
        }
        const locked = await loginAttempt(app, victim.email, victim.password);
        expectProblem(locked, 429);
        const retryAfter = Number(locked.headers['retry-after']);
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(15 * 60);
        // The lock holds for the email in any letter case.
        expectProblem(await loginAttempt(app, victim.email.toUpperCase(), victim.password), 429);
        await login(app, bystander.email, bystander.password);
        // Existing sessions are not affected by the lock.
        await http(victim).get('/api/users/me').expect(200);
      });

      it('forgets failures after a successful login', async () => {
        const account = await signUpAndLogin(app);
        for (let i = 0; i < 4; i++) {
          expectProblem(await loginAttempt(app, account.email, 'wrong-password-1'), 401);
        }
        await login(app, account.email, account.password);
        for (let i = 0; i < 4; i++) {
          expectProblem(await loginAttempt(app, account.email, 'wrong-password-1'), 401);
        }
        await login(app, account.email, account.password);
      });
    });

    describe('POST /api/auth/refresh', () => {
      it('gives a new pair and spends the old refresh token', async () => {
        const account = await signUpAndLogin(app);
        const res = await refresh(account.refreshToken).expect(200);
        const pair = res.body as TokenPair;
        expect(pair.tokenType).toBe('Bearer');
        expect(pair.refreshToken).not.toBe(account.refreshToken);
        expect(pair.accessToken).not.toBe(account.accessToken);
        expect(decodeJwt(pair.accessToken).sid).toBe(decodeJwt(account.accessToken).sid);
        await http(pair).get('/api/users/me').expect(200);
        // The next rotation works from the new token.
        const next = (await refresh(pair.refreshToken).expect(200)).body as TokenPair;
        expect(next.refreshToken).not.toBe(pair.refreshToken);
      });

      it('rejects a spent refresh token and revokes the session, so the newer token fails too', async () => {
        const account = await signUpAndLogin(app);
        const other = await login(app, account.email, account.password);
        const newer = (await refresh(account.refreshToken).expect(200)).body as TokenPair;
        expectProblem(await refresh(account.refreshToken), 401);
        expectProblem(await refresh(newer.refreshToken), 401);
        // Only that session: another session of the same user still refreshes.
        await refresh(other.refreshToken).expect(200);
      });

      it('answers 401 for an unknown token and 400 for a missing or non-string one', async () => {
        expectProblem(await refresh('definitely-not-a-token'), 401);
        expectProblem(await http().post('/api/auth/refresh').send({}), 400);
        expectProblem(await http().post('/api/auth/refresh').send({ refreshToken: 42 }), 400);
      });
    });

    describe('POST /api/auth/logout', () => {
      it("answers 204, then that session's refresh token fails while other sessions live on", async () => {
        const account = await signUpAndLogin(app);
        const other = await login(app, account.email, account.password);
        await http(account)
          .post('/api/auth/logout')
          .send({ refreshToken: account.refreshToken })
          .expect(204);
        expectProblem(await refresh(account.refreshToken), 401);
        expectProblem(
          await http(account).post('/api/auth/logout').send({ refreshToken: account.refreshToken }),
          401,
        );
        await refresh(other.refreshToken).expect(200);
      });

      it('answers 401 without an access token and leaves the session alone', async () => {
        const account = await signUpAndLogin(app);
        expectProblem(
          await http().post('/api/auth/logout').send({ refreshToken: account.refreshToken }),
          401,
        );
        await refresh(account.refreshToken).expect(200);
      });

      it("answers 401 for another user's refresh token and leaves that session alone", async () => {
        const a = await signUpAndLogin(app);
        const b = await signUpAndLogin(app);
        expectProblem(
          await http(a).post('/api/auth/logout').send({ refreshToken: b.refreshToken }),
          401,
        );
        await refresh(b.refreshToken).expect(200);
      });
    });

    describe('access tokens and JWKS', () => {
      let account: Account;
      let kid: string;

      beforeAll(async () => {
        account = await signUpAndLogin(app);
        const jwks = await http().get('/api/auth/jwks').expect(200);
        kid = (jwks.body as { keys: Array<{ kid: string }> }).keys[0].kid;
      });

      it('publishes public keys only, and the token header names one of them', async () => {
        const res = await http().get('/api/auth/jwks').expect(200);
        const keys = (res.body as { keys: JWK[] }).keys;
        expect(keys.length).toBeGreaterThan(0);
        for (const key of keys) {
          expect(key).not.toHaveProperty('d');
          expect(key).not.toHaveProperty('p');
          expect(key).not.toHaveProperty('k');
          expect(typeof key.kid).toBe('string');
        }
        const header = decodeProtectedHeader(account.accessToken);
        expect(keys.map((k) => k.kid)).toContain(header.kid);
        const published = keys.find((k) => k.kid === header.kid)!;
        expect(published.x).toBe(signingJwk.x);
      });

      it('is an EdDSA JWT with kid, iss, aud, sid, sub, roles and at most 15 minutes of life', () => {
        const header = decodeProtectedHeader(account.accessToken);
        expect(header.alg).toBe('EdDSA');
        expect(header.kid).toBe(kid);
        const claims = decodeJwt(account.accessToken);
        expect(claims.sub).toBe(account.id);
        expect(claims.roles).toEqual(['user']);
        expect(typeof claims.sid).toBe('string');
        expect(typeof claims.iss).toBe('string');
        expect(claims.aud).toBeDefined();
        expect(typeof claims.exp).toBe('number');
        expect(typeof claims.iat).toBe('number');
        expect(claims.exp! - claims.iat!).toBeGreaterThan(0);
        expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(900);
        expect(JSON.stringify(claims)).not.toMatch(/password|hash/i);
      });

      const me = (authorization?: string) => {
        const req = http().get('/api/users/me');
        return authorization === undefined ? req : req.set('authorization', authorization);
      };

      /** Claims like the real token's, so only the forged part differs. */
      const realClaims = () => decodeJwt(account.accessToken);

      it('accepts the real token (control for the forgeries below)', async () => {
        await me(`Bearer ${account.accessToken}`).expect(200);
      });

      it('rejects a missing or malformed Authorization header with 401', async () => {
        for (const header of [
          undefined,
          '',
          'Bearer',
          'Bearer ',
          'Bearer not-a-jwt',
          'Bearer a.b.c',
          `Basic ${account.accessToken}`,
          `bearer${account.accessToken}`,
          `Bearer ${account.accessToken}x`,
          `Bearer ${account.accessToken}.extra`,
        ]) {
          expectProblem(await me(header), 401);
        }
      });

      it('rejects alg "none" with 401', async () => {
        const unsigned = `${b64url({ alg: 'none', typ: 'JWT', kid })}.${b64url(realClaims())}`;
        expectProblem(await me(`Bearer ${unsigned}.`), 401);
        expectProblem(await me(`Bearer ${unsigned}.AAAA`), 401);
      });

      it('rejects a token signed with another Ed25519 key with 401, with or without the real kid', async () => {
        const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
        for (const header of [
          { alg: 'EdDSA', kid },
          { alg: 'EdDSA', kid: 'someone-else' },
          { alg: 'EdDSA' },
        ]) {
          const forged = await new SignJWT(realClaims())
            .setProtectedHeader(header)
            .sign(privateKey);
          expectProblem(await me(`Bearer ${forged}`), 401);
        }
      });

      it('rejects HS256 signed with the public key as the secret with 401', async () => {
        const jwks = (await http().get('/api/auth/jwks').expect(200)).body as { keys: JWK[] };
        const publicJwk = jwks.keys[0];
        const secrets = [
          Buffer.from(publicJwk.x!, 'base64url'),
          Buffer.from(publicJwk.x!),
          Buffer.from(JSON.stringify(publicJwk)),
        ];
        for (const secret of secrets) {
          const forged = await new SignJWT(realClaims())
            .setProtectedHeader({ alg: 'HS256', kid })
            .sign(secret);
          expectProblem(await me(`Bearer ${forged}`), 401);
        }
      });

      it('rejects an expired token signed with the real key with 401', async () => {
        const key = await importJWK(signingJwk, 'EdDSA');
        const now = Math.floor(Date.now() / 1000);
        const claims = { ...realClaims(), iat: now - 1000, exp: now - 100 };
        const expired = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'EdDSA', kid })
          .sign(key);
        expectProblem(await me(`Bearer ${expired}`), 401);
        // Control: the same claims with a live exp are accepted, so only expiry was refused.
        const live = await new SignJWT({ ...claims, iat: now, exp: now + 300 })
          .setProtectedHeader({ alg: 'EdDSA', kid })
          .sign(key);
        await me(`Bearer ${live}`).expect(200);
      });

      it('rejects a token from the real key with a wrong issuer or audience with 401', async () => {
        const key = await importJWK(signingJwk, 'EdDSA');
        for (const patch of [{ iss: 'someone-else' }, { aud: 'another-api' }]) {
          const token = await new SignJWT({ ...realClaims(), ...patch })
            .setProtectedHeader({ alg: 'EdDSA', kid })
            .sign(key);
          expectProblem(await me(`Bearer ${token}`), 401);
        }
      });

      it('rejects a tampered payload (roles: admin) with 401', async () => {
        const [header, , signature] = account.accessToken.split('.');
        const tampered = `${header}.${b64url({ ...realClaims(), roles: ['user', 'admin'] })}.${signature}`;
        expectProblem(await me(`Bearer ${tampered}`), 401);
        expectProblem(
          await http().get('/api/users').set('authorization', `Bearer ${tampered}`),
          401,
        );
        const otherSub = `${header}.${b64url({ ...realClaims(), sub: '00000000-0000-4000-8000-000000000000' })}.${signature}`;
        expectProblem(await me(`Bearer ${otherSub}`), 401);
      });
    });
  });
}

describe('auth per-address rate limit', () => {
  const app = useTestApp({ store: 'pglite', env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } });

  it('answers the 4th auth request within a minute, on any auth route, with 429, Retry-After and problem+json', async () => {
    await request(app.url).get('/api/auth/jwks').expect(200);
    expectProblem(await loginAttempt(app, uniqueEmail(), 'whatever-1'), 401);
    expectProblem(
      await request(app.url).post('/api/auth/refresh').send({ refreshToken: 'unknown-token' }),
      401,
    );
    const limited = await request(app.url).get('/api/auth/jwks');
    expectProblem(limited, 429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expectProblem(await loginAttempt(app, uniqueEmail(), 'whatever-1'), 429);
    expectProblem(
      await request(app.url).post('/api/auth/refresh').send({ refreshToken: 'unknown-token' }),
      429,
    );
    // Only the auth routes are limited.
    await request(app.url).get('/health').expect(200);
    await request(app.url)
      .post('/api/users')
      .send({ email: uniqueEmail(), password: 'correct-horse-1', name: 'n' })
      .expect(201);
  });
});

describe('auth per-address rate limit by default', () => {
  // An empty value means "unset", so the application default applies.
  const app = useTestApp({ store: 'pglite', env: { AUTH_RATE_LIMIT_PER_MINUTE: '' } });

  it('allows at least 300 auth requests per minute from one address', async () => {
    const statuses: number[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => request(app.url).get('/api/auth/jwks')),
      );
      statuses.push(...results.map((r) => r.status));
    }
    expect(statuses).toHaveLength(300);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
