import { Injectable, Logger } from '@nestjs/common';
import { Bus } from '../../../shared/bus/bus';
import {
  SECURITY_EVENTS,
  type RevocationsReply,
  type SessionsRevoked,
} from '../../../shared/security/security.contract';
import { AuthStore } from '../store/auth-store';

/**
 * Revoked sessions: recorded in the auth store, then told to every process at once, so their
 * access tokens stop working everywhere; a process that missed the broadcast catches up from
 * `since` (`auth.revocations`) every REVOCATION_SYNC_MS.
 */
@Injectable()
export class SessionRevocations {
  private readonly logger = new Logger('sessions');

  constructor(
    private readonly store: AuthStore,
    private readonly bus: Bus,
  ) {}

  async revoke(sessionId: string, nowMs: number): Promise<void> {
    await this.store.revokeSession(sessionId, nowMs);
    await this.announce([sessionId], nowMs);
  }

  /** What every process asks to catch up. */
  async since(sinceMs: number): Promise<RevocationsReply> {
    return { revocations: await this.store.revocationsSince(sinceMs) };
  }

  /**
   * Tells every process at once. Best effort: the revocation is recorded already, and a process
   * that misses this learns it when it next catches up.
   */
  async announce(sessionIds: readonly string[], revokedAtMs: number): Promise<void> {
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
