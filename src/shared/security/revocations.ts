import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { Bus } from '../bus/bus';
import { TOKENS_CONFIG, type TokensConfig } from '../config/app-config';
import { ServiceUnavailable } from '../kernel/domain-error';
import { Readiness } from '../observability/readiness';
import {
  Revocations as RevocationsSince,
  type SessionRevocation,
  SessionsRevoked,
} from './security.contract';

/** Revocations held at most; past it the oldest go (and a warning says so). */
const MAX_HELD = 1_000_000;
/** How far back a catch-up asks, past the newest revocation seen: for clocks that disagree. */
const CATCH_UP_OVERLAP_MS = 5_000;

/**
 * The sessions revoked lately, as this process knows them: every access token is checked
 * against it (a map lookup: no database round trip per request). Filled the moment the auth module
 * revokes sessions (its broadcast reaches every process), and caught up before this process
 * reports ready: on NATS from the stream, which keeps every broadcast for a token's lifetime (so
 * a process starting while the auth module is down knows every revocation), and from the auth
 * module (`auth.revocations`, what release 0.1.0's auth module offers), then every
 * REVOCATION_SYNC_MS, so a broadcast missed is made up for. A catch-up that fails is logged and
 * retried; what is held is kept. An entry is kept while a token of its session could still be
 * accepted (`TokensConfig.acceptedAgeSeconds`).
 */
@Injectable()
export class Revocations implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('revocations');
  /** Session id → when it was revoked, oldest first. */
  private readonly revoked = new Map<string, number>();
  private newestMs = 0;
  private caughtUp = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly bus: Bus,
    private readonly readiness: Readiness,
    @Inject(TOKENS_CONFIG) private readonly config: TokensConfig,
  ) {}

  /** Whether this process verifies tokens at all (the gateway only proxies). */
  private get active(): boolean {
    return this.config.verifiedHere;
  }

  private get keepMs(): number {
    return this.config.acceptedAgeSeconds * 1000;
  }

  /** Whether the session has been revoked (so its access tokens are refused). */
  isRevoked(sessionId: string): boolean {
    return this.revoked.has(sessionId);
  }

  /** Takes revocations in (broadcast or caught up); idempotent. */
  apply(revocations: readonly SessionRevocation[]): void {
    for (const { sessionId, revokedAtMs } of revocations) {
      if (typeof sessionId !== 'string' || typeof revokedAtMs !== 'number') continue;
      if (!this.revoked.has(sessionId)) this.revoked.set(sessionId, revokedAtMs);
      if (revokedAtMs > this.newestMs) this.newestMs = revokedAtMs;
    }
    this.prune();
  }

  onModuleInit(): void {
    if (!this.active) return;
    this.readiness.register('revocations', () => {
      if (!this.caughtUp) throw new ServiceUnavailable('The list of revoked sessions');
      return Promise.resolve();
    });
  }

  onApplicationBootstrap(): void {
    if (!this.active) return;
    // On NATS the stream keeps every revocation for a token's lifetime: replayed here, it is all
    // this process needs to know, even while the auth module is down.
    void this.bus.broadcastsReplayed(SessionsRevoked).then(
      (replayed) => {
        if (!replayed || this.caughtUp) return;
        this.caughtUp = true;
        this.logger.log(`caught up from the stream: ${this.revoked.size} revoked session(s)`);
      },
      () => undefined,
    );
    void this.catchUp();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Asks the auth module for what was revoked since the newest revocation seen. */
  private async catchUp(): Promise<void> {
    try {
      const reply = await this.bus.request(RevocationsSince, {
        sinceMs: this.caughtUp ? Math.max(0, this.newestMs - CATCH_UP_OVERLAP_MS) : 0,
      });
      this.apply(reply.revocations);
      if (!this.caughtUp) this.logger.log(`caught up: ${this.revoked.size} revoked session(s)`);
      else if (this.failing) this.logger.log('caught up again');
      this.caughtUp = true;
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        this.logger.warn(
          `cannot ask the auth module for revocations, will retry: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      this.failing = true;
    }
    this.schedule(this.caughtUp ? this.config.revocationSyncMs : 500);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.catchUp(), ms);
    this.timer.unref();
  }

  /** Drops what no accepted token can belong to any more (in arrival order, roughly oldest). */
  private prune(): void {
    const horizon = Date.now() - this.keepMs;
    for (const [sessionId, at] of this.revoked) {
      if (at >= horizon) break;
      this.revoked.delete(sessionId);
    }
    if (this.revoked.size <= MAX_HELD) return;
    this.logger.warn(`more than ${MAX_HELD} revocations held: dropping the oldest`);
    for (const sessionId of this.revoked.keys()) {
      if (this.revoked.size <= MAX_HELD) break;
      this.revoked.delete(sessionId);
    }
  }
}
