import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { OrderItem } from '../order';

const bigintAsNumber = {
  to: (value: number): number => value,
  from: (value: string | number): number => Number(value),
};

/** The `orders` table. Never leaves the module. */
@Entity({ name: 'orders' })
export class OrderRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'user_id' }) userId!: string;
  @Column('jsonb') items!: OrderItem[];
  @Column('bigint', { name: 'total_cents', transformer: bigintAsNumber }) totalCents!: number;
  @Column('text') currency!: string;
  @Column('text') status!: string;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey!: string | null;
  @Column('text', { name: 'request_hash', nullable: true }) requestHash!: string | null;
  @Column('timestamptz', { name: 'idempotency_expires_at', nullable: true })
  idempotencyExpiresAt!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
