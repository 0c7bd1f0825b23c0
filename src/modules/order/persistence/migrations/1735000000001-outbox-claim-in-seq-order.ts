import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  claimOutboxByDueTime,
  claimOutboxInSeqOrder,
} from '../../../../shared/outbox/postgres-outbox';

/** The relay's claim walks pending entries in order and stops after a batch (`postgres-outbox.ts`). */
export class OrderOutboxClaim1735000000001 implements MigrationInterface {
  name = 'OrderOutboxClaim1735000000001';

  async up(db: QueryRunner): Promise<void> {
    await claimOutboxInSeqOrder(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await claimOutboxByDueTime(db);
  }
}
