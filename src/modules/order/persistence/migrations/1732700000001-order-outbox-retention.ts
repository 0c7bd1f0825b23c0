import type { MigrationInterface, QueryRunner } from 'typeorm';
import { indexSentOutboxEntries } from '../../../../shared/outbox/postgres-outbox';

export class OrderOutboxRetention1732700000001 implements MigrationInterface {
  name = 'OrderOutboxRetention1732700000001';

  async up(db: QueryRunner): Promise<void> {
    await indexSentOutboxEntries(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX outbox_sent_idx`);
  }
}
