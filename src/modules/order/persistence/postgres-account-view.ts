import type { ModuleDatabase } from '../../../shared/persistence/module-database';
import { isUuid } from '../../../shared/kernel/uuid';
import { CoalescedReads } from '../../../shared/persistence/coalesced-reads';
import { AccountView, type AccountState } from './account-view';

/** The account view on Postgres or PGlite: the table `account_view` of the order module's schema. */
export class PostgresAccountView extends AccountView {
  constructor(private readonly db: ModuleDatabase) {
    super();
  }

  async record(userId: string, state: AccountState): Promise<boolean> {
    const rows = await this.db.sql(
      'account-view-record',
      `INSERT INTO account_view AS a (user_id, version, deleted, updated_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (user_id) DO UPDATE
         SET version = COALESCE(EXCLUDED.version, a.version), deleted = EXCLUDED.deleted,
             updated_at = now()
         WHERE NOT a.deleted
           AND (EXCLUDED.deleted
                OR (EXCLUDED.version IS NOT NULL AND (a.version IS NULL OR EXCLUDED.version > a.version)))
       RETURNING user_id`,
      [userId, state.version ?? null, state.deleted],
    );
    return rows.length > 0;
  }

  /**
   * One statement, shared by the checks asked for in the same turn (`CoalescedReads`): each
   * placed order asks once its insert has committed, so a burst of orders costs a few reads.
   */
  isDeleted(userId: string): Promise<boolean> {
    return isUuid(userId) ? this.deleted.read(userId.toLowerCase()) : Promise.resolve(false);
  }

  private readonly deleted = new CoalescedReads<boolean>(
    async (userId) => {
      const rows = await this.db.sql<{ deleted: boolean }>(
        'account-view-deleted',
        `SELECT deleted FROM account_view WHERE user_id = $1`,
        [userId],
      );
      return rows[0]?.deleted ?? false;
    },
    async (userIds) => {
      const rows = await this.db.sql<{ user_id: string; deleted: boolean }>(
        'account-views-deleted',
        `SELECT user_id, deleted FROM account_view WHERE user_id = ANY($1::uuid[])`,
        [`{${userIds.join(',')}}`],
      );
      return new Map(rows.map((row) => [row.user_id, row.deleted]));
    },
    false,
  );
}
