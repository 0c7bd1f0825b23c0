import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  LOGINS_CONFIG,
  type LoginsConfig,
  TOKENS_CONFIG,
  type TokensConfig,
} from '../../../shared/config/app-config';
import { InvalidCredentials, LoginLocked } from '../auth.errors';
import { UserCredentials } from '../clients/user-credentials.client';
import { SessionRepository } from '../persistence/session-repository';
import { TokenPair, Tokens } from '../tokens';

/**
 * POST /api/auth/login. LOGIN_MAX_FAILURES failed logins for one email within
 * LOGIN_LOCK_WINDOW_SECONDS lock it until that window ends (429 with Retry-After), even for the
 * right password; a success clears the count. A session lives REFRESH_TOKEN_TTL_SECONDS.
 */
@Injectable()
export class Login {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly credentials: UserCredentials,
    private readonly tokens: Tokens,
    @Inject(TOKENS_CONFIG) private readonly tokensConfig: TokensConfig,
    @Inject(LOGINS_CONFIG) private readonly config: LoginsConfig,
  ) {}

  async execute(email: string, password: string): Promise<TokenPair> {
    const key = `login:${email.trim().toLowerCase()}`;
    await this.refuseIfLocked(key, Date.now());
    const user = await this.credentials.verify(email, password);
    if (!user) {
      await this.sessions.recordFailure(key, Date.now(), this.config.lockWindowSeconds * 1000);
      throw new InvalidCredentials();
    }
    await this.sessions.clearFailures(key);
    const session = {
      id: randomUUID(),
      userId: user.id,
      roles: user.roles,
      expiresAtMs: Date.now() + this.tokensConfig.refreshTtlSeconds * 1000,
    };
    const refresh = this.tokens.newRefreshToken();
    await this.sessions.createSession(session, refresh.hash);
    return this.tokens.pair(session, refresh.token);
  }

  private async refuseIfLocked(key: string, nowMs: number): Promise<void> {
    const failures = await this.sessions.failures(key);
    if (!failures || failures.resetAtMs <= nowMs) return;
    if (failures.count < this.config.maxFailures) return;
    throw new LoginLocked(Math.ceil((failures.resetAtMs - nowMs) / 1000));
  }
}
