import { Injectable } from '@nestjs/common';
import { Bus } from '../../../shared/bus/bus';
import { VerifyCredentials, type VerifyCredentialsReply } from '../../user/user.contract';

/**
 * Asks the user module to check an email and password (`user.verify-credentials` over the bus;
 * answered in `modules/user/answer-peers/`).
 */
@Injectable()
export class UserCredentials {
  constructor(private readonly bus: Bus) {}

  async verify(email: string, password: string): Promise<VerifyCredentialsReply['user']> {
    const { user } = await this.bus.request(VerifyCredentials, { email, password });
    return user;
  }
}
