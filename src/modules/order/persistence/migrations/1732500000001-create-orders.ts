import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createInboxTable } from '../../../../shared/outbox/postgres-inbox';

export class CreateOrders1732500000001 implements MigrationInterface {
  name = 'CreateOrders1732500000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        items jsonb NOT NULL,
        total_cents bigint NOT NULL CHECK (total_cents >= 0),
        currency char(3) NOT NULL,
        status text NOT NULL
          CHECK (status IN ('pending', 'confirmed', 'shipped', 'delivered', 'cancelled')),
        idempotency_key text,
        request_hash text,
        idempotency_expires_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await db.query(
      `CREATE INDEX orders_user_newest_idx ON orders (user_id, created_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE UNIQUE INDEX orders_user_idempotency_key ON orders (user_id, idempotency_key)
       WHERE idempotency_key IS NOT NULL`,
    );
    await createInboxTable(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE inbox`);
    await db.query(`DROP TABLE orders`);
  }
}
