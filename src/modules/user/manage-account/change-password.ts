import { Injectable } from '@nestjs/common';
import { createEvent } from '../../../shared/bus/bus-event';
import { Unauthenticated } from '../../../shared/kernel/domain-error';
import type { Principal } from '../../../shared/security/security.contract';
import { PasswordHasher } from '../password-hasher';
import { UsersRepository } from '../persistence/users.repository';
import { UserPasswordChanged } from '../user.contract';
import { WrongPassword } from '../user.errors';
import { EventEffects } from './event-effects';

/**
 * POST /api/users/me/password: needs the current password; on success `user.password-changed`
 * revokes every session of the user (the auth module), before the 204.
 */
@Injectable()
export class ChangePassword {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly effects: EventEffects,
  ) {}

  async execute(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const row = await this.users.findById(principal.userId);
    if (!row) throw new Unauthenticated();
    if (!(await this.hasher.verify(row.passwordHash, currentPassword))) throw new WrongPassword();
    const passwordHash = await this.hasher.hash(newPassword);
    const event = createEvent(UserPasswordChanged, { userId: row.id }, row.id);
    if (!(await this.users.update(row.id, { passwordHash }, [event]))) throw new Unauthenticated();
    await this.effects.settled(event.id);
  }
}
