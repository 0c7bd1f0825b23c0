import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Bus } from '../../shared/bus/bus';
import { APP_CONFIG, type AppConfig } from '../../shared/config/config';
import {
  SECURITY_EVENTS,
  type Principal,
  type RevocationsReply,
  type SessionsRevoked,
} from '../../shared/security/security.contract';
import {
  USER_PATTERNS,
  VerifyCredentialsReply,
  VerifyCredentialsRequest,
} from '../user/user.contract';
import { InvalidCredentials, InvalidRefreshToken, LoginLocked } from './auth.errors';
import { AuthStore } from './store/auth-store';
import { hashRefreshToken, TokenPair, Tokens } from './tokens';

/**
 * Login, refresh-token rotation with reuse detection, logout and revocation. A revoked session
 * is recorded in the store and broadcast to every process at once, so its access tokens stop
 * working everywhere (the processes also catch up from `revocationsSince`).
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger('sessions');

  constructor(
    private readonly store: AuthStore,
    private readonly tokens: Tokens,
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(email: string, password: string): Promise<TokenPair> {
    const key = `login:${email.trim().toLowerCase()}`;
    const now = Date.now();
    const locked = await this.store.lockedFor(key, this.config.LOGIN_MAX_FAILURES, now);
    if (locked > 0) throw new LoginLocked(locked);
    const { user } = await this.bus.request<VerifyCredentialsReply, VerifyCredentialsRequest>(
      USER_PATTERNS.verifyCredentials,
      { email, password },
    );
    if (!user) {
      await this.store.recordFailure(key, this.config.LOGIN_LOCK_WINDOW_SECONDS, Date.now());
      throw new InvalidCredentials();
    }
    await this.store.clearFailures(key);
    const session = {
      id: randomUUID(),
      userId: user.id,
      roles: user.roles,
      expiresAtMs: Date.now() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000,
    };
    const refresh = this.tokens.newRefreshToken();
    await this.store.createSession(session, refresh.hash);
    return this.tokens.pair(session, refresh.token);
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const next = this.tokens.newRefreshToken();
    const now = Date.now();
    const result = await this.store.rotate(hashRefreshToken(refreshToken), next.hash, now);
    if (result.kind === 'reused') await this.announce([result.sessionId], now);
    if (result.kind !== 'rotated') throw new InvalidRefreshToken();
    return this.tokens.pair(result.session, next.token);
  }

  /** Ends the caller's session named by `refreshToken`; another user's token is not valid here. */
  async logout(principal: Principal, refreshToken: string): Promise<void> {
    const session = await this.store.findByRefresh(hashRefreshToken(refreshToken), Date.now());
    if (!session || session.userId !== principal.userId) throw new InvalidRefreshToken();
    const now = Date.now();
    await this.store.revokeSession(session.id, now);
    await this.announce([session.id], now);
  }

  async revokeAll(userId: string, inbox: { handler: string; eventId: string }): Promise<void> {
    const now = Date.now();
    await this.announce(await this.store.revokeUserSessions(userId, inbox, now), now);
  }

  /** What every process asks to catch up (`auth.revocations`). */
  async revocationsSince(sinceMs: number): Promise<RevocationsReply> {
    return { revocations: await this.store.revocationsSince(sinceMs) };
  }

  /**
   * Tells every process at once. Best effort: the revocation is recorded already, and a process
   * that misses this learns it when it next catches up (REVOCATION_SYNC_MS).
   */
  private async announce(sessionIds: string[], revokedAtMs: number): Promise<void> {
    if (sessionIds.length === 0) return;
    const event: SessionsRevoked = {
      revocations: sessionIds.map((sessionId) => ({ sessionId, revokedAtMs })),
    };
    try {
      await this.bus.broadcast(SECURITY_EVENTS.sessionsRevoked, event);
    } catch (error) {
      this.logger.warn(
        `broadcasting ${sessionIds.length} revocation(s) failed; processes will catch up: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
