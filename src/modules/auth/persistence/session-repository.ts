import type { Role } from '../../../shared/security/security.contract';

export interface Session {
  id: string;
  userId: string;
  roles: Role[];
  /** Epoch ms after which the session's refresh token is no longer accepted. */
  expiresAtMs: number;
}

/** Outcome of a compare-and-swap of a session's live refresh token. */
export type SwapResult =
  | { kind: 'swapped'; session: Session }
  /** The token was issued for this live session but is no longer its live one: nothing changed. */
  | { kind: 'spent'; sessionId: string }
  /** No live session has ever had this token (or it is revoked or expired at `nowMs`). */
  | { kind: 'unknown' };

/** Failed logins on record for a key, in the window that ends at `resetAtMs`. */
export interface FailureCount {
  count: number;
  resetAtMs: number;
}

/**
 * A session's revocation as recorded: what `revocationsSince` returns, and what the auth module
 * tells every process (`SessionRevocation` on the bus has this shape).
 */
export interface Revocation {
  sessionId: string;
  revokedAtMs: number;
}

/**
 * What the auth module keeps, all of it about sessions: the sessions with their refresh-token
 * families, their revocations, the failed logins that lock out opening one, and the events
 * already handled that revoke them. Atomic primitives only. The rules (rotation and reuse
 * detection, lock-out, expiry) are the auth use cases', and every time here is theirs (`nowMs`),
 * so one clock decides. Tokens are kept only as hashes.
 * Adapters: in memory (one process) and Redis, picked by `auth-database.ts`;
 * `test/int/session-repository.int-spec.ts` is the contract both pass. Every revocation is
 * recorded with its time, in the same atomic step, and kept `revocationKeepMs` (as long as a
 * token of its session could be accepted), so that every process can learn it
 * (`revocationsSince`).
 */
export abstract class SessionRepository {
  abstract createSession(session: Session, refreshHash: string): Promise<void>;

  /**
   * Compare-and-swap: when `presentedHash` is the live token of a session that is live at
   * `nowMs`, `nextHash` becomes its live token, atomically (of many concurrent swaps with one
   * token, one wins and the others see `spent`).
   */
  abstract swapRefresh(presentedHash: string, nextHash: string, nowMs: number): Promise<SwapResult>;

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

  /**
   * Counts one failed login, atomically: in the window live at `nowMs`, or in a new one that
   * ends `windowMs` from now.
   */
  abstract recordFailure(key: string, nowMs: number, windowMs: number): Promise<FailureCount>;

  /** The failures on record for `key` (a window that ended may still be returned). */
  abstract failures(key: string): Promise<FailureCount | undefined>;

  abstract clearFailures(key: string): Promise<void>;
}
