import { Injectable } from '@nestjs/common';
import { SessionRevocations } from '../revocations/session-revocations';
import { SessionRepository } from '../persistence/session-repository';

/**
 * On `user.deleted` and `user.password-changed`: every session of the user is revoked, once per
 * event (a redelivery must not revoke sessions opened since), and every process is told.
 */
@Injectable()
export class RevokeUserSessions {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly revocations: SessionRevocations,
  ) {}

  async execute(userId: string, inbox: { handler: string; eventId: string }): Promise<void> {
    const now = Date.now();
    const revoked = await this.sessions.revokeUserSessions(userId, inbox, now);
    await this.revocations.announce(revoked, now);
  }
}
