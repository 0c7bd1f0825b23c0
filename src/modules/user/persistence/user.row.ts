import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The `users` table, for TypeORM; `PostgresUserRepository` maps its rows to `User`. */
@Entity({ name: 'users' })
export class UserRow {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  email!: string;

  /** Lower-cased email; unique, so sign-up is case-insensitive. */
  @Column('text', { name: 'email_normalized' })
  emailNormalized!: string;

  @Column('text')
  name!: string;

  @Column('text', { name: 'password_hash' })
  passwordHash!: string;

  @Column('text', { array: true })
  roles!: string[];

  @Column('integer', { name: 'orders_total' })
  ordersTotal!: number;

  @Column('integer', { name: 'orders_open' })
  ordersOpen!: number;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
