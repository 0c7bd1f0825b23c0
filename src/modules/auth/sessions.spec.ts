import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type { Bus } from '../../shared/bus/bus';
import type { AppConfig } from '../../shared/config/app-config';
import { loadConfig } from '../../shared/config/config';
import type { SessionsRevokedData } from '../../shared/security/security.contract';
import { InvalidCredentials, InvalidRefreshToken, LoginLocked } from './auth.errors';
import type { UserCredentials } from './clients/user-credentials.client';
import { Login } from './login/login';
import { Logout } from './logout/logout';
import { RefreshSession } from './refresh/refresh-session';
import { RevokeUserSessions } from './revoke-on-account-change/revoke-user-sessions';
import { SessionRevocations } from './revocations/session-revocations';
import { SigningKeys } from './signing-keys';
import { MemorySessionRepository } from './persistence/memory-session-repository';
import { hashRefreshToken, Tokens } from './tokens';

/**
 * The auth use cases' rules on the in-memory session repository, with the user module and the
 * bus stood in for: lock-out, rotation with reuse detection, and revocation. No database, no
 * server; the clock is Jest's (only `Date` is faked).
 */
const ADA = { id: randomUUID(), email: 'ada@example.com', password: 'correct-horse-1' };
const GRACE = { id: randomUUID(), email: 'grace@example.com', password: 'correct-horse-2' };
const T0 = new Date('2026-12-01T10:00:00.000Z').getTime();

let config: AppConfig;

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  config = loadConfig({ AUTH_SIGNING_KEY: JSON.stringify(await exportJWK(privateKey)) });
});

describe('the auth use cases (no database, no bus)', () => {
  let sessions: MemorySessionRepository;
  let told: SessionsRevokedData[];
  let login: Login;
  let refresh: RefreshSession;
  let logout: Logout;
  let revokeUser: RevokeUserSessions;

  beforeEach(async () => {
    jest.useFakeTimers({
      now: T0,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    sessions = new MemorySessionRepository();
    told = [];
    const bus = {
      broadcast: (_contract: unknown, data: SessionsRevokedData) => void told.push(data),
    } as unknown as Bus;
    const users = [ADA, GRACE];
    const credentials = {
      verify: (email: string, password: string) => {
        const user = users.find((u) => u.email === email.trim().toLowerCase());
        return Promise.resolve(
          user && user.password === password ? { id: user.id, roles: ['user' as const] } : null,
        );
      },
    } as unknown as UserCredentials;
    const keys = await SigningKeys.load(config.tokens, config.databases.auth.dataDir);
    const tokens = new Tokens(keys, config.tokens);
    const revocations = new SessionRevocations(sessions, bus, config.tokens);
    login = new Login(sessions, credentials, tokens, config.tokens, config.logins);
    refresh = new RefreshSession(sessions, tokens, revocations);
    logout = new Logout(sessions, revocations);
    revokeUser = new RevokeUserSessions(sessions, revocations);
  });
  afterEach(() => void jest.useRealTimers());

  const advance = (ms: number) => jest.setSystemTime(Date.now() + ms);
  const principalOf = (accessToken: string) => {
    const claims = decodeJwt(accessToken);
    return { userId: claims.sub!, roles: ['user' as const], sessionId: claims.sid as string };
  };

  describe('login and its lock-out', () => {
    it('opens a session: an access token for the user and its session, and a refresh token', async () => {
      const pair = await login.execute(ADA.email, ADA.password);
      expect(pair).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: config.tokens.accessTtlSeconds,
      });
      expect(decodeJwt(pair.accessToken)).toMatchObject({ sub: ADA.id, roles: ['user'] });
      expect(
        await sessions.findByRefresh(hashRefreshToken(pair.refreshToken), Date.now()),
      ).toMatchObject({
        userId: ADA.id,
      });
    });

    it(`locks an email after ${5} failures in the window, even for the right password, until the window ends`, async () => {
      expect(config.logins.maxFailures).toBe(5);
      for (let i = 0; i < 5; i++) {
        await expect(login.execute(ADA.email, 'wrong')).rejects.toBeInstanceOf(InvalidCredentials);
        advance(1000);
      }
      // Any spelling of the address is the same account.
      const locked = login.execute(' ADA@Example.com ', ADA.password);
      await expect(locked).rejects.toBeInstanceOf(LoginLocked);
      await expect(locked).rejects.toMatchObject({
        headers: { 'retry-after': String(config.logins.lockWindowSeconds - 5) },
      });
      // Another email is not locked.
      await expect(login.execute(GRACE.email, GRACE.password)).resolves.toBeDefined();
      advance((config.logins.lockWindowSeconds - 5) * 1000);
      await expect(login.execute(ADA.email, ADA.password)).resolves.toBeDefined();
    });

    it('a success clears the count: failures before it do not add up with failures after it', async () => {
      for (let i = 0; i < 4; i++) await login.execute(ADA.email, 'wrong').catch(() => undefined);
      await login.execute(ADA.email, ADA.password);
      for (let i = 0; i < 4; i++) await login.execute(ADA.email, 'wrong').catch(() => undefined);
      await expect(login.execute(ADA.email, ADA.password)).resolves.toBeDefined();
    });
  });

  describe('refresh: rotation with reuse detection', () => {
    it('swaps a refresh token for a new pair; the old one is spent', async () => {
      const first = await login.execute(ADA.email, ADA.password);
      const second = await refresh.execute(first.refreshToken);
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(principalOf(second.accessToken).sessionId).toBe(
        principalOf(first.accessToken).sessionId,
      );
      await expect(refresh.execute(second.refreshToken)).resolves.toBeDefined();
      expect(told).toEqual([]);
    });

    it('a spent token presented again revokes the whole session and tells every process: the newer token stops working too', async () => {
      const first = await login.execute(ADA.email, ADA.password);
      const second = await refresh.execute(first.refreshToken);
      advance(1000);
      await expect(refresh.execute(first.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshToken);
      const sessionId = principalOf(first.accessToken).sessionId;
      expect(told).toEqual([{ revocations: [{ sessionId, revokedAtMs: T0 + 1000 }] }]);
      await expect(refresh.execute(second.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshToken,
      );
      expect(await sessions.revocationsSince(T0)).toEqual([{ sessionId, revokedAtMs: T0 + 1000 }]);
    });

    it('refuses a token it never issued, and one whose session expired, revoking nothing', async () => {
      await expect(refresh.execute('not-a-token')).rejects.toBeInstanceOf(InvalidRefreshToken);
      const pair = await login.execute(ADA.email, ADA.password);
      advance(config.tokens.refreshTtlSeconds * 1000);
      await expect(refresh.execute(pair.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshToken);
      expect(told).toEqual([]);
    });
  });

  describe('logout: revocation', () => {
    it("ends the caller's session, tells every process, and its refresh token stops working", async () => {
      const pair = await login.execute(ADA.email, ADA.password);
      const principal = principalOf(pair.accessToken);
      await logout.execute(principal, pair.refreshToken);
      expect(told).toEqual([
        { revocations: [{ sessionId: principal.sessionId, revokedAtMs: T0 }] },
      ]);
      await expect(refresh.execute(pair.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshToken);
    });

    it("refuses another user's refresh token, leaving that session alive", async () => {
      const ada = await login.execute(ADA.email, ADA.password);
      const grace = await login.execute(GRACE.email, GRACE.password);
      await expect(
        logout.execute(principalOf(ada.accessToken), grace.refreshToken),
      ).rejects.toBeInstanceOf(InvalidRefreshToken);
      expect(told).toEqual([]);
      await expect(refresh.execute(grace.refreshToken)).resolves.toBeDefined();
    });
  });
  describe('an account change: every session of the user revoked, once per event', () => {
    const passwordChanged = { handler: 'auth-revoke-on-account-change', eventId: randomUUID() };

    it("revokes each of the user's sessions and tells every process, leaving other users' alone", async () => {
      const first = await login.execute(ADA.email, ADA.password);
      const second = await login.execute(ADA.email, ADA.password);
      const grace = await login.execute(GRACE.email, GRACE.password);
      await revokeUser.execute(ADA.id, passwordChanged);
      const revoked = told.flatMap((t) => t.revocations.map((r) => r.sessionId)).sort();
      expect(revoked).toEqual(
        [
          principalOf(first.accessToken).sessionId,
          principalOf(second.accessToken).sessionId,
        ].sort(),
      );
      await expect(refresh.execute(first.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshToken);
      await expect(refresh.execute(second.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshToken,
      );
      await expect(refresh.execute(grace.refreshToken)).resolves.toBeDefined();
    });

    it('the same event delivered again revokes nothing, so a session opened since stays', async () => {
      await login.execute(ADA.email, ADA.password);
      await revokeUser.execute(ADA.id, passwordChanged);
      advance(1000);
      const since = await login.execute(ADA.email, ADA.password);
      told.length = 0;
      await revokeUser.execute(ADA.id, passwordChanged);
      expect(told.flatMap((t) => t.revocations)).toEqual([]);
      await expect(refresh.execute(since.refreshToken)).resolves.toBeDefined();
    });
  });
});
