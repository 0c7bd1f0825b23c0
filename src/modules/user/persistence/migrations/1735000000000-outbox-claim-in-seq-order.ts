import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  claimOutboxByDueTime,
  claimOutboxInSeqOrder,
} from '../../../../shared/outbox/postgres-outbox';

/** The relay's claim walks pending entries in order and stops after a batch (`postgres-outbox.ts`). */
export class UserOutboxClaim1735000000000 implements MigrationInterface {
  name = 'UserOutboxClaim1735000000000';

  async up(db: QueryRunner): Promise<void> {
    await claimOutboxInSeqOrder(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await claimOutboxByDueTime(db);
  }
}
