/** What the order module knows of an account: learnt from the user module's events. */
export interface AccountState {
  /** The account's version with the event that said so; absent from release 0.1.0's events. */
  version?: number;
  /** A tombstone: the account was deleted. It holds no personal data, only the id. */
  deleted: boolean;
}

/**
 * The order module's own view of the accounts it serves, in its own database: the facts an
 * access token does not carry (whether the account was deleted since the token was issued), so
 * that no order needs to ask the user module. Adapters: `PostgresAccountView` (Postgres, PGlite)
 * and `MongoAccountView`.
 */
export abstract class AccountView {
  /**
   * Keeps the newest state of the account, atomically: a tombstone is final (a late or
   * replayed event cannot bring the account back); a versioned state replaces only an older or
   * unversioned one; an unversioned state (release 0.1.0's) is kept only where nothing is known.
   * Returns whether `state` was kept.
   */
  abstract record(userId: string, state: AccountState): Promise<boolean>;

  /** Whether the account has a tombstone. */
  abstract isDeleted(userId: string): Promise<boolean>;
}
