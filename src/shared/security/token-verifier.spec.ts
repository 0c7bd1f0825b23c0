import { describe, expect, it, jest } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Bus } from '../bus/bus';
import type { TokensConfig } from '../config/app-config';
import { Unauthenticated } from '../kernel/domain-error';
import type { Readiness } from '../observability/readiness';
import type { Revocations } from './revocations';
import { ACCESS_TOKEN_ALGORITHM } from './security.contract';
import { TokenVerifier } from './token-verifier';

const ISSUER = 'cleave-test';
const AUDIENCE = 'cleave-test-api';

/**
 * A verifier holding one public key from its configuration (as `AUTH_PUBLIC_KEYS` gives it), on a
 * bus that only counts the times it is asked for the keys.
 */
async function verifierHolding(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM);
  const jwk = { ...(await exportJWK(publicKey)), kid };
  const keyRequests: unknown[] = [];
  const bus = {
    request: (contract: unknown) => {
      keyRequests.push(contract);
      return Promise.resolve({ keys: [jwk] });
    },
  } as unknown as Bus;
  const revocations = { isRevoked: () => false } as unknown as Revocations;
  const readiness = { register: () => undefined } as unknown as Readiness;
  const config = {
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTtlSeconds: 900,
    acceptedAgeSeconds: 960,
    refreshTtlSeconds: 86_400,
    publicKeys: JSON.stringify({ keys: [jwk] }),
    revocationSyncMs: 1_000,
    verifiedHere: true,
  } as unknown as TokensConfig;
  const verifier = new TokenVerifier(bus, revocations, readiness, config);
  await verifier.onModuleInit();
  return { verifier, privateKey, keyRequests };
}

/** A signed access token for user `u1` whose `exp` is `expiresIn` seconds from now. */
function token(key: CryptoKey, kid: string, expiresIn: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: 's1', roles: ['user'] })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('u1')
    .setIssuedAt(now - 60)
    .setExpirationTime(now + expiresIn)
    .sign(key);
}

describe('TokenVerifier', () => {
  it('accepts a live token signed with a key it holds', async () => {
    const { verifier, privateKey } = await verifierHolding('k1');
    await expect(verifier.verify(await token(privateKey, 'k1', 300))).resolves.toEqual({
      userId: 'u1',
      roles: ['user'],
      sessionId: 's1',
    });
  });

  it('refuses an expired token signed with a key it holds', async () => {
    const { verifier, privateKey } = await verifierHolding('k1');
    await expect(verifier.verify(await token(privateKey, 'k1', -30))).rejects.toBeInstanceOf(
      Unauthenticated,
    );
  });

  it('refuses an expired token with a key id it does not hold without fetching the keys, which a live one makes it do', async () => {
    const { verifier, privateKey, keyRequests } = await verifierHolding('k1');
    await expect(verifier.verify(await token(privateKey, 'k2', -30))).rejects.toBeInstanceOf(
      Unauthenticated,
    );
    expect(keyRequests).toHaveLength(0);
    // Control: the same token, live, is checked in full, which for an unknown key id asks the
    // auth module for its keys (and is still refused: none of them is k2).
    await expect(verifier.verify(await token(privateKey, 'k2', 300))).rejects.toBeInstanceOf(
      Unauthenticated,
    );
    expect(keyRequests).toHaveLength(1);
  });

  it('checks a new token once however many requests bring it before the check is done', async () => {
    const { verifier, privateKey } = await verifierHolding('k1');
    const live = await token(privateKey, 'k1', 300);
    const forged = `${live.slice(0, -6)}AAAAAA`;
    const checks = jest.spyOn(globalThis.crypto.subtle, 'verify');
    try {
      const principals = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(live)));
      expect(principals.map((p) => p.userId)).toEqual(Array<string>(20).fill('u1'));
      expect(checks).toHaveBeenCalledTimes(1);

      // A forged signature: every request that brought it is refused, after one check.
      checks.mockClear();
      const refusals = await Promise.allSettled(
        Array.from({ length: 20 }, () => verifier.verify(forged)),
      );
      expect(
        refusals.every((r) => r.status === 'rejected' && r.reason instanceof Unauthenticated),
      ).toBe(true);
      expect(checks).toHaveBeenCalledTimes(1);
      // A refusal is not kept: the next request with it is checked again (and refused again).
      await expect(verifier.verify(forged)).rejects.toBeInstanceOf(Unauthenticated);
      expect(checks).toHaveBeenCalledTimes(2);
      // The live token is cached now: no check at all.
      await verifier.verify(live);
      expect(checks).toHaveBeenCalledTimes(2);
    } finally {
      checks.mockRestore();
    }
  });

  it("answers each request's Authorization once however many ask (the rate limit, then the guard)", async () => {
    const { verifier, privateKey } = await verifierHolding('k1');
    const live = await token(privateKey, 'k1', 300);
    const lookups = jest.spyOn(verifier, 'verify');
    const request = { headers: { authorization: `Bearer ${live}` } };
    await expect(verifier.verifyRequest(request)).resolves.toMatchObject({ userId: 'u1' });
    await expect(verifier.verifyRequest(request)).resolves.toMatchObject({ userId: 'u1' });
    expect(lookups).toHaveBeenCalledTimes(1);
    // Another request with the same token is answered on its own (from the token cache).
    await expect(
      verifier.verifyRequest({ headers: { authorization: `Bearer ${live}` } }),
    ).resolves.toMatchObject({ userId: 'u1' });
    expect(lookups).toHaveBeenCalledTimes(2);

    // A request refused is refused to everyone who asks, again without a second check.
    const forged = { headers: { authorization: `Bearer ${live.slice(0, -6)}AAAAAA` } };
    await expect(verifier.verifyRequest(forged)).rejects.toBeInstanceOf(Unauthenticated);
    await expect(verifier.verifyRequest(forged)).rejects.toBeInstanceOf(Unauthenticated);
    expect(lookups).toHaveBeenCalledTimes(3);
    // No token, or not as `Bearer <token>`: refused without a lookup.
    for (const authorization of [
      undefined,
      live,
      `bearer ${live}`,
      `Bearer ${live} `,
      'Bearer a.b',
    ]) {
      await expect(verifier.verifyRequest({ headers: { authorization } })).rejects.toBeInstanceOf(
        Unauthenticated,
      );
    }
    expect(lookups).toHaveBeenCalledTimes(3);
  });

  it('refuses what does not decode as a token', async () => {
    const { verifier } = await verifierHolding('k1');
    await expect(verifier.verify('not.a.token')).rejects.toBeInstanceOf(Unauthenticated);
  });
});
