import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Answers } from '../../../shared/bus/bus-handler';
import { failpoint } from '../../../shared/resilience/failpoints';
import { PasswordHasher } from '../password-hasher';
import { UserRepository } from '../persistence/user-repository';
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
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  @Answers(VerifyCredentials)
  async verifyCredentials(
    @Payload() request: VerifyCredentialsRequest,
  ): Promise<VerifyCredentialsReply> {
    failpoint('user.verify-credentials');
    const account = await this.users.findCredentialsByEmail(request.email);
    const ok = await this.hasher.verify(account?.passwordHash, request.password);
    return { user: ok && account ? { id: account.user.id, roles: account.user.roles } : null };
  }

  /** Deprecated: for the order module of release 0.1.0 (see the contract). */
  @Answers(CheckAccount)
  async checkAccount(@Payload() request: CheckAccountRequest): Promise<CheckAccountReply> {
    failpoint('user.check-account');
    const user = await this.users.findById(request.userId);
    return { exists: user !== null, roles: user?.roles ?? [] };
  }
}
