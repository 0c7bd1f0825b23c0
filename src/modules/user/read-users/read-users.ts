import { Injectable } from '@nestjs/common';
import { Unauthenticated } from '../../../shared/kernel/domain-error';
import type { Cursor } from '../../../shared/kernel/page';
import { failpoint } from '../../../shared/resilience/failpoints';
import { isAdmin } from '../../../shared/security/auth.guard';
import type { Principal } from '../../../shared/security/security.contract';
import { UserRepository } from '../persistence/user-repository';
import type { User } from '../user';
import { UserNotFound } from '../user.errors';

/** GET /api/users/me, /api/users/:id (self or admin) and /api/users (admin, checked at the edge). */
@Injectable()
export class ReadUsers {
  constructor(private readonly users: UserRepository) {}

  /** The caller's own account; a deleted account is no longer authenticated. */
  async me(principal: Principal): Promise<User> {
    failpoint('user.me');
    const user = await this.users.findById(principal.userId);
    if (!user) throw new Unauthenticated();
    return user;
  }

  /** Self or admin; anyone else gets 404 so existence is not revealed. */
  async get(principal: Principal, id: string): Promise<User> {
    if (id !== principal.userId && !isAdmin(principal)) throw new UserNotFound();
    const user = await this.users.findById(id);
    if (!user) throw new UserNotFound();
    return user;
  }

  /** `limit` accounts after `cursor`, and one more to know whether more follow. */
  list(limit: number, cursor?: Cursor): Promise<User[]> {
    return this.users.list(limit + 1, cursor);
  }
}
