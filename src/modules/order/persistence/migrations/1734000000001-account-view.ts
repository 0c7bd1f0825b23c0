import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order module's view of the accounts (`AccountView`): a row per account it heard of,
 * a tombstone (no personal data) per deleted one.
 */
export class AccountView1734000000001 implements MigrationInterface {
  name = 'AccountView1734000000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE account_view (
        user_id uuid PRIMARY KEY,
        version integer,
        deleted boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE account_view`);
  }
}
