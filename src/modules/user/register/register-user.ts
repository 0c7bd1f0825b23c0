import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { createEvent } from '../../../shared/bus/bus-event';
import type { Role } from '../../../shared/security/security.contract';
import { PasswordHasher } from '../password-hasher';
import { UserRepository } from '../persistence/user-repository';
import type { User } from '../user';
import { UserRegistered } from '../user.contract';

export interface NewAccount {
  email: string;
  name: string;
  password: string;
}

/**
 * POST /api/users (sign-up) and the admin account at start: one account per email in any
 * letter case (409 otherwise), the password stored only as an argon2id hash, and
 * `user.registered` queued with the account.
 */
@Injectable()
export class RegisterUser {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async execute(input: NewAccount, roles: Role[] = ['user']): Promise<User> {
    const now = new Date();
    const user: User = {
      id: randomUUID(),
      email: input.email,
      name: input.name,
      roles,
      ordersTotal: 0,
      ordersOpen: 0,
      createdAt: now,
      updatedAt: now,
    };
    const passwordHash = await this.hasher.hash(input.password);
    const registered = createEvent(UserRegistered, { userId: user.id, roles }, user.id);
    await this.users.insert(user, passwordHash, [registered]);
    return user;
  }
}
