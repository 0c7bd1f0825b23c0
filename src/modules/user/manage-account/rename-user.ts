import { Injectable } from '@nestjs/common';
import { Unauthenticated } from '../../../shared/kernel/domain-error';
import type { Principal } from '../../../shared/security/security.contract';
import { UserRepository } from '../persistence/user-repository';
import type { User } from '../user';

/** PATCH /api/users/me: the caller changes their display name. */
@Injectable()
export class RenameUser {
  constructor(private readonly users: UserRepository) {}

  async execute(principal: Principal, name: string): Promise<User> {
    const user = await this.users.update(principal.userId, { name });
    if (!user) throw new Unauthenticated();
    return user;
  }
}
