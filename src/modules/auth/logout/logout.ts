import { Injectable } from '@nestjs/common';
import type { Principal } from '../../../shared/security/security.contract';
import { InvalidRefreshToken } from '../auth.errors';
import { SessionRevocations } from '../revocations/session-revocations';
import { SessionRepository } from '../persistence/session-repository';
import { hashRefreshToken } from '../tokens';

/** POST /api/auth/logout: ends the caller's session named by its live refresh token. */
@Injectable()
export class Logout {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly revocations: SessionRevocations,
  ) {}

  /** Another user's token is not valid here. */
  async execute(principal: Principal, refreshToken: string): Promise<void> {
    const now = Date.now();
    const session = await this.sessions.findByRefresh(hashRefreshToken(refreshToken), now);
    if (!session || session.userId !== principal.userId) throw new InvalidRefreshToken();
    await this.revocations.revoke(session.id, now);
  }
}
