import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, errors, jwtVerify, JWTVerifyGetKey } from 'jose';
import { Bus } from '../bus/bus';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Unauthenticated } from '../http/domain-error';
import { Revocations } from './revocations';
import {
  ACCESS_TOKEN_ALGORITHM,
  JwksDto,
  Principal,
  Role,
  ROLES,
  SECURITY_PATTERNS,
} from './security.contract';

const MAX_CACHED_TOKENS = 10_000;
const JWKS_REFRESH_MIN_INTERVAL_MS = 5_000;

interface CachedToken {
  principal: Principal;
  expiresAtMs: number;
}

/**
 * Verifies access tokens against the auth module's public keys, fetched over the bus.
 * Verified tokens are cached (bounded, until their `exp`) to keep signature checks off the
 * hot path; an unknown `kid` triggers one JWKS refetch. A token of a revoked session is refused
 * at once, cached or not (see `Revocations`).
 */
@Injectable()
export class TokenVerifier {
  private keySet?: JWTVerifyGetKey;
  private keySetFetchedAt = 0;
  private readonly verified = new Map<string, CachedToken>();

  constructor(
    private readonly bus: Bus,
    private readonly revocations: Revocations,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async verify(token: string): Promise<Principal> {
    let entry = this.verified.get(token);
    if (entry && entry.expiresAtMs <= Date.now()) {
      this.verified.delete(token);
      entry = undefined;
    }
    if (!entry) {
      entry = await this.verifyFresh(token);
      if (this.verified.size >= MAX_CACHED_TOKENS) {
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
      this.verified.set(token, entry);
    }
    if (this.revocations.isRevoked(entry.principal.sessionId)) {
      throw new Unauthenticated();
    }
    return entry.principal;
  }

  private async verifyFresh(token: string): Promise<CachedToken> {
    try {
      return await this.verifyWith(await this.keys(false), token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey && this.mayRefresh()) {
        return this.verifyWith(await this.keys(true), token).catch(() => {
          throw new Unauthenticated();
        });
      }
      if (error instanceof Unauthenticated || !(error instanceof errors.JOSEError)) throw error;
      throw new Unauthenticated();
    }
  }

  private async verifyWith(keys: JWTVerifyGetKey, token: string): Promise<CachedToken> {
    const { payload } = await jwtVerify(token, keys, {
      issuer: this.config.JWT_ISSUER,
      audience: this.config.JWT_AUDIENCE,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      requiredClaims: ['sub', 'sid', 'exp', 'iat'],
      maxTokenAge: `${this.config.ACCESS_TOKEN_TTL_SECONDS + 60}s`,
    });
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    if (
      typeof payload.sub !== 'string' ||
      typeof payload.sid !== 'string' ||
      typeof payload.exp !== 'number' ||
      !roles.every((r): r is Role => ROLES.includes(r as Role))
    ) {
      throw new Unauthenticated();
    }
    return {
      principal: { userId: payload.sub, roles, sessionId: payload.sid },
      expiresAtMs: payload.exp * 1000,
    };
  }

  private mayRefresh(): boolean {
    return Date.now() - this.keySetFetchedAt >= JWKS_REFRESH_MIN_INTERVAL_MS;
  }

  private async keys(refresh: boolean): Promise<JWTVerifyGetKey> {
    if (this.keySet && !refresh) return this.keySet;
    const jwks = await this.bus.request<JwksDto>(SECURITY_PATTERNS.jwks, {});
    this.keySet = createLocalJWKSet(jwks);
    this.keySetFetchedAt = Date.now();
    return this.keySet;
  }
}
