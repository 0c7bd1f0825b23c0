import { Injectable } from '@nestjs/common';
import { createEvent } from '../../../shared/bus/bus-event';
import { Unauthenticated } from '../../../shared/kernel/domain-error';
import type { Principal } from '../../../shared/security/security.contract';
import { PasswordHasher } from '../password-hasher';
import { UserRepository } from '../persistence/user-repository';
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
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly effects: EventEffects,
  ) {}

  async execute(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const account = await this.users.findCredentialsById(principal.userId);
    if (!account) throw new Unauthenticated();
    if (!(await this.hasher.verify(account.passwordHash, currentPassword))) {
      throw new WrongPassword();
    }
    const { id } = account.user;
    const passwordHash = await this.hasher.hash(newPassword);
    const event = createEvent(UserPasswordChanged, { userId: id }, id);
    if (!(await this.users.update(id, { passwordHash }, [event]))) throw new Unauthenticated();
    await this.effects.settled(event.id);
  }
}
