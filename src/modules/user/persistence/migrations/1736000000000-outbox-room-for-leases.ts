import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxPagesFull, outboxRoomForLeases } from '../../../../shared/outbox/postgres-outbox';

/** The relay's leases are written in place (`postgres-outbox.ts`). */
export class UserOutboxRoomForLeases1736000000000 implements MigrationInterface {
  name = 'UserOutboxRoomForLeases1736000000000';

  async up(db: QueryRunner): Promise<void> {
    await outboxRoomForLeases(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await outboxPagesFull(db);
  }
}
