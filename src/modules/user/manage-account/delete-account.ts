import { Injectable } from '@nestjs/common';
import { createEvent } from '../../../shared/bus/bus-event';
import { Unauthenticated } from '../../../shared/kernel/domain-error';
import type { Principal } from '../../../shared/security/security.contract';
import { UserRepository } from '../persistence/user-repository';
import { UserDeleted } from '../user.contract';
import { EventEffects } from './event-effects';

/**
 * DELETE /api/users/me: the account goes; `user.deleted` revokes its sessions (auth) and cancels
 * its open orders (order), before the 204.
 */
@Injectable()
export class DeleteAccount {
  constructor(
    private readonly users: UserRepository,
    private readonly effects: EventEffects,
  ) {}

  async execute(principal: Principal): Promise<void> {
    const event = createEvent(UserDeleted, { userId: principal.userId }, principal.userId);
    if (!(await this.users.delete(principal.userId, [event]))) throw new Unauthenticated();
    await this.effects.settled(event.id);
  }
}
