import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Bus } from '../../../shared/bus/bus';
import { TOKENS_CONFIG, type TokensConfig } from '../../../shared/config/app-config';
import {
  type RevocationsReply,
  SessionsRevoked,
  type SessionsRevokedData,
} from '../../../shared/security/security.contract';
import { SessionRepository } from '../persistence/session-repository';

/**
 * Revoked sessions: recorded in the session repository, then told to every process at once, so
 * their access tokens stop working everywhere (on NATS the broadcast is also kept in the stream,
 * from which a process that starts later learns it, even while this module is down). What could
 * not be told is told again every REVOCATION_SYNC_MS until it is; a process that missed a
 * broadcast also catches up from `since` (`auth.revocations`).
 */
@Injectable()
export class SessionRevocations implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('sessions');
  /** The oldest revocation a failed broadcast left untold, if any. */
  private untoldSince?: number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly bus: Bus,
    @Inject(TOKENS_CONFIG) private readonly config: TokensConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tellAgain(), this.config.revocationSyncMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async revoke(sessionId: string, nowMs: number): Promise<void> {
    await this.sessions.revokeSession(sessionId, nowMs);
    await this.announce([sessionId], nowMs);
  }

  /** What every process asks to catch up. */
  async since(sinceMs: number): Promise<RevocationsReply> {
    return { revocations: await this.sessions.revocationsSince(sinceMs) };
  }

  /**
   * Tells every process at once. The revocation is recorded already, so a failure is not the
   * caller's: it is logged, and told again later.
   */
  async announce(sessionIds: readonly string[], revokedAtMs: number): Promise<void> {
    if (sessionIds.length === 0) return;
    const event: SessionsRevokedData = {
      revocations: sessionIds.map((sessionId) => ({ sessionId, revokedAtMs })),
    };
    try {
      await this.bus.broadcast(SessionsRevoked, event);
    } catch (error) {
      this.untoldSince = Math.min(this.untoldSince ?? revokedAtMs, revokedAtMs);
      this.logger.warn(
        `broadcasting ${sessionIds.length} revocation(s) failed; told again within ${this.config.revocationSyncMs} ms: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Everything revoked since the oldest untold revocation, in one broadcast. */
  private async tellAgain(): Promise<void> {
    const since = this.untoldSince;
    if (since === undefined) return;
    // Taken now: a broadcast that fails meanwhile marks its own revocation untold.
    this.untoldSince = undefined;
    try {
      const { revocations } = await this.since(since);
      if (revocations.length > 0) await this.bus.broadcast(SessionsRevoked, { revocations });
      this.logger.log(`told ${revocations.length} revocation(s) again`);
    } catch {
      // Still unreachable: the next round tries again.
      this.untoldSince = Math.min(this.untoldSince ?? since, since);
    }
  }
}
