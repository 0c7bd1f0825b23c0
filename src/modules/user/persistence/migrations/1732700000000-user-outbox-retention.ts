import type { MigrationInterface, QueryRunner } from 'typeorm';
import { indexSentOutboxEntries } from '../../../../shared/outbox/postgres-outbox';

export class UserOutboxRetention1732700000000 implements MigrationInterface {
  name = 'UserOutboxRetention1732700000000';

  async up(db: QueryRunner): Promise<void> {
    await indexSentOutboxEntries(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX outbox_sent_idx`);
  }
}
