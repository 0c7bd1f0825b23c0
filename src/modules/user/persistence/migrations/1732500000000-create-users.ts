import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createInboxTable } from '../../../../shared/outbox/postgres-inbox';

export class CreateUsers1732500000000 implements MigrationInterface {
  name = 'CreateUsers1732500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        email_normalized text NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        roles text[] NOT NULL,
        orders_total integer NOT NULL DEFAULT 0,
        orders_open integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await db.query(`CREATE UNIQUE INDEX users_email_normalized_key ON users (email_normalized)`);
    await db.query(`CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC)`);
    await createInboxTable(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE inbox`);
    await db.query(`DROP TABLE users`);
  }
}
