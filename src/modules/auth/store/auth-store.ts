import type { Role } from '../../../shared/security/security.contract';

export interface Session {
  id: string;
  userId: string;
  roles: Role[];
  /** Epoch ms after which the session's refresh token is no longer accepted. */
  expiresAtMs: number;
}

/** Outcome of presenting a refresh token. */
export type RotateResult =
  | { kind: 'rotated'; session: Session }
  /** A spent token was presented: the whole session is now revoked. */
  | { kind: 'reused'; sessionId: string }
  | { kind: 'unknown' };

/** A session revoked at `revokedAtMs`: its access tokens are refused until they expire. */
export interface Revocation {
  sessionId: string;
  revokedAtMs: number;
}

/**
 * Sessions, refresh-token families, revocations and login lock-out counters. Tokens are stored
 * only as hashes. Port with an in-memory adapter (one process) and Redis. Every revocation is
 * recorded with its time, in the same atomic step, and kept `revocationKeepMs` (longer than any
 * access token lives), so that every process can learn it (`revocationsSince`).
 */
export abstract class AuthStore {
  abstract createSession(session: Session, refreshHash: string): Promise<void>;

  /** Atomically spends `presentedHash` and makes `nextHash` the session's live token. */
  abstract rotate(presentedHash: string, nextHash: string, nowMs: number): Promise<RotateResult>;

  /** The live session that `refreshHash` currently belongs to, if any. */
  abstract findByRefresh(refreshHash: string, nowMs: number): Promise<Session | undefined>;

  abstract revokeSession(sessionId: string, nowMs: number): Promise<void>;

  /**
   * Revokes every session of the user, once per (handler, event id): a redelivered event must
   * not revoke sessions opened since. Returns the sessions it revoked (none on a redelivery).
   */
  abstract revokeUserSessions(
    userId: string,
    inbox: { handler: string; eventId: string },
    nowMs: number,
  ): Promise<string[]>;

  /** Revocations recorded at or after `sinceMs` (and within the kept window), oldest first. */
  abstract revocationsSince(sinceMs: number): Promise<Revocation[]>;

  /** Counts one failed login; the count lives `windowSeconds` from the first failure. */
  abstract recordFailure(key: string, windowSeconds: number, nowMs: number): Promise<number>;

  /** Seconds until the lock-out lifts, or 0 when fewer than `max` failures are on record. */
  abstract lockedFor(key: string, max: number, nowMs: number): Promise<number>;

  abstract clearFailures(key: string): Promise<void>;
}
