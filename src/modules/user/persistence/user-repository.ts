import type { BusEvent } from '../../../shared/bus/bus-event';
import type { Cursor } from '../../../shared/kernel/page';
import type { Role } from '../../../shared/security/security.contract';
import type { User, UserCredentials } from '../user';

/** What `update` may change of an account; absent fields stay as they are. */
export interface UserChanges {
  name?: string;
  passwordHash?: string;
  roles?: Role[];
}

/**
 * The accounts: atomic primitives only; the rules (who may read what, when a password is right)
 * are the use cases'. Every write that queues events does both atomically (the outbox), and
 * each event carries the account's new version (see the user contract). Adapter: Postgres or
 * PGlite (`PostgresUserRepository`); `test/int/user-repository.int-spec.ts` is its contract.
 */
export abstract class UserRepository {
  /**
   * Inserts the account with its password hash and queues `events`, atomically. `EmailTaken`
   * (and nothing written) when an account has the same email in any letter case.
   */
  abstract insert(user: User, passwordHash: string, events: readonly BusEvent[]): Promise<void>;

  /** Waits (bounded) until the outbox delivered `eventId` to every handler; false on timeout. */
  abstract delivered(eventId: string, timeoutMs: number): Promise<boolean>;

  /** The account; null also for an id that is not a UUID. */
  abstract findById(id: string): Promise<User | null>;

  /** The account with this email in any letter case. */
  abstract findByEmail(email: string): Promise<User | null>;

  /** `findById` with the password hash, for the password change. */
  abstract findCredentialsById(id: string): Promise<UserCredentials | null>;

  /** `findByEmail` with the password hash, for the login. */
  abstract findCredentialsByEmail(email: string): Promise<UserCredentials | null>;

  /**
   * Applies `changes` and queues `events`, atomically, and answers the account as it now is;
   * null (and nothing queued) when it no longer exists.
   */
  abstract update(
    id: string,
    changes: UserChanges,
    events?: readonly BusEvent[],
  ): Promise<User | null>;

  /** Deletes the account and queues `events`, atomically; false when there was no such account. */
  abstract delete(id: string, events: readonly BusEvent[]): Promise<boolean>;

  /** Up to `limit` accounts, newest first, after `cursor`. */
  abstract list(limit: number, after?: Cursor): Promise<User[]>;

  /**
   * Adds one order event's deltas to its buyer's order counts, at most once per (`handler`,
   * `eventId`): the inbox claim and the change are one atomic write, so a redelivery counts
   * once. Counts never go below zero.
   */
  abstract applyOrderEvent(
    handler: string,
    eventId: string,
    userId: string,
    totalDelta: number,
    openDelta: number,
  ): Promise<void>;
}
