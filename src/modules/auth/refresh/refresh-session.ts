import { Injectable } from '@nestjs/common';
import { InvalidRefreshToken } from '../auth.errors';
import { SessionRevocations } from '../revocations/session-revocations';
import { SessionRepository } from '../persistence/session-repository';
import { hashRefreshToken, TokenPair, Tokens } from '../tokens';

/**
 * POST /api/auth/refresh: rotation with reuse detection. A refresh token works once: it is
 * swapped for a new one atomically. Presenting a spent token means two parties hold the
 * session's tokens, so the whole session is revoked (every process is told) and the caller gets
 * 401; the legitimate holder must log in again.
 */
@Injectable()
export class RefreshSession {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly tokens: Tokens,
    private readonly revocations: SessionRevocations,
  ) {}

  async execute(refreshToken: string): Promise<TokenPair> {
    const next = this.tokens.newRefreshToken();
    const now = Date.now();
    const result = await this.sessions.swapRefresh(hashRefreshToken(refreshToken), next.hash, now);
    // The swap and the revocation are two steps: should recording the revocation fail, the
    // caller gets 503 and the spent token stays spent, so its next presentation revokes again.
    if (result.kind === 'spent') await this.revocations.revoke(result.sessionId, now);
    if (result.kind !== 'swapped') throw new InvalidRefreshToken();
    return this.tokens.pair(result.session, next.token);
  }
}
