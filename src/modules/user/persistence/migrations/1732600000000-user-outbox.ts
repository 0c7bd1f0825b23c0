import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTable } from '../../../../shared/outbox/postgres-outbox';

export class UserOutbox1732600000000 implements MigrationInterface {
  name = 'UserOutbox1732600000000';

  async up(db: QueryRunner): Promise<void> {
    await createOutboxTable(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE outbox`);
  }
}
