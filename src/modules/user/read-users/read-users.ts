import { Injectable } from '@nestjs/common';
import { Unauthenticated } from '../../../shared/kernel/domain-error';
import type { Cursor } from '../../../shared/kernel/page';
import { failpoint } from '../../../shared/resilience/failpoints';
import { isAdmin } from '../../../shared/security/auth.guard';
import type { Principal } from '../../../shared/security/security.contract';
import type { UserRow } from '../persistence/user.row';
import { UsersRepository } from '../persistence/users.repository';
import { UserNotFound } from '../user.errors';

/** GET /api/users/me, /api/users/:id (self or admin) and /api/users (admin, checked at the edge). */
@Injectable()
export class ReadUsers {
  constructor(private readonly users: UsersRepository) {}

  /** The caller's own account; a deleted account is no longer authenticated. */
  async me(principal: Principal): Promise<UserRow> {
    failpoint('user.me');
    const row = await this.users.findById(principal.userId);
    if (!row) throw new Unauthenticated();
    return row;
  }

  /** Self or admin; anyone else gets 404 so existence is not revealed. */
  async get(principal: Principal, id: string): Promise<UserRow> {
    if (id !== principal.userId && !isAdmin(principal)) throw new UserNotFound();
    const row = await this.users.findById(id);
    if (!row) throw new UserNotFound();
    return row;
  }

  /** `limit` accounts after `cursor`, and one more to know whether more follow. */
  list(limit: number, cursor?: Cursor): Promise<UserRow[]> {
    return this.users.list(limit + 1, cursor);
  }
}
