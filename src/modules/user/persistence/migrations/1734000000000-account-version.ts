import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each account's version, which its events carry (`accountVersion`). */
export class AccountVersion1734000000000 implements MigrationInterface {
  name = 'AccountVersion1734000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN version integer NOT NULL DEFAULT 1`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users DROP COLUMN version`);
  }
}
