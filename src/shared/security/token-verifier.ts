import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  errors,
  jwtVerify,
  JWTVerifyGetKey,
} from 'jose';
import { Bus } from '../bus/bus';
import { TOKENS_CONFIG, type TokensConfig } from '../config/app-config';
import { ServiceUnavailable, Unauthenticated } from '../kernel/domain-error';
import { Readiness } from '../observability/readiness';
import { Revocations } from './revocations';
import {
  ACCESS_TOKEN_ALGORITHM,
  Jwks,
  type JwksDto,
  Principal,
  Role,
  ROLES,
} from './security.contract';

const MAX_CACHED_TOKENS = 10_000;
const JWKS_REFRESH_MIN_INTERVAL_MS = 5_000;
/** How soon a process that could not fetch the keys at start tries again. */
const FETCH_RETRY_MS = 500;

interface CachedToken {
  principal: Principal;
  expiresAtMs: number;
}

/** `Authorization: Bearer <token>`: the one form an access token is accepted in. */
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/** What `verifyRequest` reads of a request: its `Authorization` header. */
export interface BearerRequest {
  readonly headers: { readonly authorization?: string };
}

/**
 * Verifies access tokens with the auth module's public keys, without asking the auth module per
 * request. The keys are held before the process says ready: fetched from the auth module at
 * start (`auth.jwks`, retried until it answers), or handed over in `AUTH_PUBLIC_KEYS` so a
 * process can start while the auth module is down. Keys once held are kept while the auth
 * module is away; a token with a key id this process does not know makes it fetch the keys
 * again (at most every few seconds). Verified tokens are cached (bounded, until their `exp`)
 * to keep signature checks off the hot path. A token of a revoked session is refused at once,
 * cached or not (see `Revocations`).
 */
@Injectable()
export class TokenVerifier implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('signing-keys');
  /** Keys by id: from configuration, then as the auth module publishes them. */
  private readonly known = new Map<string, Record<string, unknown>>();
  private keySet?: JWTVerifyGetKey;
  private keySetFetchedAt = 0;
  private fetched = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly verified = new Map<string, CachedToken>();
  /**
   * Tokens whose signature is being checked: the requests that bring one meanwhile wait for
   * that check rather than each starting its own. A process new to its clients' tokens (just
   * started, or after a rollout) otherwise checked a token once for every request that brought
   * it before the first check was done: under the bench's load, 0.3-0.6 s of a process's CPU in
   * its first seconds went to checking the signatures of 50 tokens.
   */
  private readonly checking = new Map<string, Promise<CachedToken>>();
  /**
   * Each request's answer, for as long as the request lives: the per-token rate limit asks
   * first, then the guard, and the second gets the first's answer rather than a second lookup.
   */
  private readonly byRequest = new WeakMap<BearerRequest, Promise<Principal>>();

  constructor(
    private readonly bus: Bus,
    private readonly revocations: Revocations,
    private readonly readiness: Readiness,
    @Inject(TOKENS_CONFIG) private readonly config: TokensConfig,
  ) {}

  /** Whether this process verifies tokens at all (the gateway only proxies). */
  private get active(): boolean {
    return this.config.verifiedHere;
  }

  async onModuleInit(): Promise<void> {
    if (!this.active) return;
    if (this.config.publicKeys) await this.hold(this.config.publicKeys);
    this.readiness.register('signing-keys', () =>
      this.keySet ? Promise.resolve() : Promise.reject(new ServiceUnavailable('The signing keys')),
    );
  }

  onApplicationBootstrap(): void {
    if (this.active) void this.fetchAtStart();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Until the auth module has answered once: configured keys alone may be out of date. */
  private async fetchAtStart(): Promise<void> {
    try {
      await this.fetch();
      this.logger.log(`holding ${this.known.size} signing key(s) from the auth module`);
    } catch (error) {
      if (!this.fetched && this.keySet === undefined) {
        this.logger.warn(
          `cannot fetch the signing keys from the auth module yet, will retry: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.fetchAtStart(), FETCH_RETRY_MS);
      this.timer.unref();
    }
  }

  /**
   * The principal of a request's access token (`Authorization: Bearer <token>`), or
   * `Unauthenticated`: checked once per request, however many times it is asked.
   */
  verifyRequest(request: BearerRequest): Promise<Principal> {
    let answer = this.byRequest.get(request);
    if (answer === undefined) {
      const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
      answer = token === undefined ? Promise.reject(new Unauthenticated()) : this.verify(token);
      this.byRequest.set(request, answer);
    }
    return answer;
  }

  async verify(token: string): Promise<Principal> {
    let entry = this.verified.get(token);
    if (entry && entry.expiresAtMs <= Date.now()) {
      this.verified.delete(token);
      entry = undefined;
    }
    entry ??= await (this.checking.get(token) ?? this.check(token));
    if (this.revocations.isRevoked(entry.principal.sessionId)) {
      throw new Unauthenticated();
    }
    return entry.principal;
  }

  /** Checks a token not cached, once however many requests bring it meanwhile; caches it. */
  private async check(token: string): Promise<CachedToken> {
    // Refused before its signature is checked: the answer is the same 401, and a client that
    // keeps presenting an expired token costs a decode each time, not a signature check nor,
    // for a key id this process does not hold, a fetch of the keys.
    if (hasExpired(token)) throw new Unauthenticated();
    const checked = this.verifyFresh(token);
    this.checking.set(token, checked);
    try {
      const entry = await checked;
      if (this.verified.size >= MAX_CACHED_TOKENS) {
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
      this.verified.set(token, entry);
      return entry;
    } finally {
      this.checking.delete(token);
    }
  }

  private async verifyFresh(token: string): Promise<CachedToken> {
    try {
      return await this.verifyWith(await this.keys(false), token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey && this.mayRefresh()) {
        // A key this process does not hold: the auth module may have a new one. If it cannot
        // be asked, the keys held decide (the token is refused, never waved through).
        const keys = await this.keys(true).catch(() => this.keySet!);
        return this.verifyWith(keys, token).catch(() => {
          throw new Unauthenticated();
        });
      }
      if (error instanceof Unauthenticated || !(error instanceof errors.JOSEError)) throw error;
      throw new Unauthenticated();
    }
  }

  private async verifyWith(keys: JWTVerifyGetKey, token: string): Promise<CachedToken> {
    const { payload } = await jwtVerify(token, keys, {
      issuer: this.config.issuer,
      audience: this.config.audience,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      requiredClaims: ['sub', 'sid', 'exp', 'iat'],
      maxTokenAge: `${this.config.acceptedAgeSeconds}s`,
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

  /** The keys held; with `refresh`, asked of the auth module first (kept if it cannot answer). */
  private async keys(refresh: boolean): Promise<JWTVerifyGetKey> {
    if (refresh || !this.keySet) await this.fetch();
    return this.keySet!;
  }

  private async fetch(): Promise<void> {
    this.keySetFetchedAt = Date.now();
    await this.hold(await this.bus.request(Jwks, {}));
    this.fetched = true;
  }

  /** Adds `jwks` (JSON text or a key set) to the keys held; a key without `kid` gets its thumbprint. */
  private async hold(jwks: string | JwksDto): Promise<void> {
    const set = typeof jwks === 'string' ? parseKeys(jwks) : jwks;
    for (const key of set.keys) {
      const kid = typeof key.kid === 'string' ? key.kid : await calculateJwkThumbprint(key);
      this.known.set(kid, { ...key, kid, alg: ACCESS_TOKEN_ALGORITHM });
    }
    this.keySet = createLocalJWKSet({ keys: [...this.known.values()] });
  }
}

/**
 * Whether a token says it has expired, by its own `exp`, unverified, as `jwtVerify` would find it
 * (`exp <= now`, in whole seconds, no tolerance). Only ever a reason to refuse: a token that
 * does not decode, or has not expired, goes through the whole check.
 */
function hasExpired(token: string): boolean {
  let exp: unknown;
  try {
    exp = decodeJwt(token).exp;
  } catch {
    return false;
  }
  return typeof exp === 'number' && exp <= Math.floor(Date.now() / 1000);
}

/** `AUTH_PUBLIC_KEYS`: a JWKS, or one public JWK. */
function parseKeys(text: string): JwksDto {
  const value = JSON.parse(text) as JwksDto | Record<string, unknown>;
  return Array.isArray((value as JwksDto).keys) ? (value as JwksDto) : { keys: [value] };
}
