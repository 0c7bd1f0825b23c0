import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { createEvent } from '../../../shared/bus/bus-event';
import type { Role } from '../../../shared/security/security.contract';
import { PasswordHasher } from '../password-hasher';
import type { UserRow } from '../persistence/user.row';
import { normalizeEmail, UsersRepository } from '../persistence/users.repository';
import { UserRegistered } from '../user.contract';

export interface NewAccount {
  email: string;
  name: string;
  password: string;
}

/**
 * POST /api/users (sign-up) and the admin account at start: one account per email in any
 * letter case (409 otherwise), the password stored only as an argon2id hash, and
 * `user.registered` queued with the row.
 */
@Injectable()
export class RegisterUser {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async execute(input: NewAccount, roles: Role[] = ['user']): Promise<UserRow> {
    const now = new Date();
    const row = {
      id: randomUUID(),
      email: input.email,
      emailNormalized: normalizeEmail(input.email),
      name: input.name,
      passwordHash: await this.hasher.hash(input.password),
      roles,
      ordersTotal: 0,
      ordersOpen: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.users.insert(row, [createEvent(UserRegistered, { userId: row.id, roles }, row.id)]);
    return row;
  }
}
