import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Answers } from '../../../shared/bus/bus-handler';
import { failpoint } from '../../../shared/resilience/failpoints';
import { PasswordHasher } from '../password-hasher';
import { UsersRepository } from '../persistence/users.repository';
import type { Role } from '../../../shared/security/security.contract';
import {
  CheckAccount,
  type CheckAccountReply,
  type CheckAccountRequest,
  VerifyCredentials,
  type VerifyCredentialsReply,
  type VerifyCredentialsRequest,
} from '../user.contract';

/** What the user module answers on the bus. */
@Controller()
export class UserMessagesController {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  @Answers(VerifyCredentials)
  async verifyCredentials(
    @Payload() request: VerifyCredentialsRequest,
  ): Promise<VerifyCredentialsReply> {
    failpoint('user.verify-credentials');
    const row = await this.users.findByEmail(request.email);
    const ok = await this.hasher.verify(row?.passwordHash, request.password);
    return { user: ok && row ? { id: row.id, roles: row.roles as Role[] } : null };
  }

  /** Deprecated: for the order module of release 0.1.0 (see the contract). */
  @Answers(CheckAccount)
  async checkAccount(@Payload() request: CheckAccountRequest): Promise<CheckAccountReply> {
    failpoint('user.check-account');
    const row = await this.users.findById(request.userId);
    return { exists: row !== null, roles: (row?.roles ?? []) as Role[] };
  }
}
