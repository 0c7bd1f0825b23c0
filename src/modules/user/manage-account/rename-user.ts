import { Injectable } from '@nestjs/common';
import { Unauthenticated } from '../../../shared/kernel/domain-error';
import type { Principal } from '../../../shared/security/security.contract';
import type { UserRow } from '../persistence/user.row';
import { UsersRepository } from '../persistence/users.repository';

/** PATCH /api/users/me: the caller changes their display name. */
@Injectable()
export class RenameUser {
  constructor(private readonly users: UsersRepository) {}

  async execute(principal: Principal, name: string): Promise<UserRow> {
    const row = await this.users.update(principal.userId, { name });
    if (!row) throw new Unauthenticated();
    return row;
  }
}
