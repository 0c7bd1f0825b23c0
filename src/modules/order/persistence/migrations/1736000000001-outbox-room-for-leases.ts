import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxPagesFull, outboxRoomForLeases } from '../../../../shared/outbox/postgres-outbox';

/** The relay's leases are written in place (`postgres-outbox.ts`). */
export class OrderOutboxRoomForLeases1736000000001 implements MigrationInterface {
  name = 'OrderOutboxRoomForLeases1736000000001';

  async up(db: QueryRunner): Promise<void> {
    await outboxRoomForLeases(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await outboxPagesFull(db);
  }
}
