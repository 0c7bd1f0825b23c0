import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTable } from '../../../../shared/outbox/postgres-outbox';

export class OrderOutbox1732600000001 implements MigrationInterface {
  name = 'OrderOutbox1732600000001';

  async up(db: QueryRunner): Promise<void> {
    await createOutboxTable(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE outbox`);
  }
}
