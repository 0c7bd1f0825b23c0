import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { failpoint } from '../../../shared/resilience/failpoints';
import { PasswordHasher } from '../password-hasher';
import { UsersRepository } from '../persistence/users.repository';
import type { Role } from '../../../shared/security/security.contract';
import {
  CheckAccountReply,
  CheckAccountRequest,
  USER_PATTERNS,
  VerifyCredentialsReply,
  VerifyCredentialsRequest,
} from '../user.contract';

/** What the user module answers on the bus. */
@Controller()
export class UserMessagesController {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  @MessagePattern(USER_PATTERNS.verifyCredentials)
  async verifyCredentials(
    @Payload() request: VerifyCredentialsRequest,
  ): Promise<VerifyCredentialsReply> {
    if (typeof request?.email !== 'string' || typeof request.password !== 'string') {
      return { user: null };
    }
    const row = await this.users.findByEmail(request.email);
    const ok = await this.hasher.verify(row?.passwordHash, request.password);
    return { user: ok && row ? { id: row.id, roles: row.roles as Role[] } : null };
  }

  @MessagePattern(USER_PATTERNS.checkAccount)
  async checkAccount(@Payload() request: CheckAccountRequest): Promise<CheckAccountReply> {
    failpoint('user.check-account');
    const row =
      typeof request?.userId === 'string' ? await this.users.findById(request.userId) : null;
    return { exists: row !== null, roles: (row?.roles ?? []) as Role[] };
  }
}
