import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Answers } from '../../shared/bus/bus-handler';
import {
  type JwksDto,
  Revocations,
  type RevocationsReply,
  type RevocationsRequest,
} from '../../shared/security/security.contract';
import { Jwks } from './auth.contract';
import { SessionRevocations } from './revocations/session-revocations';
import { SigningKeys } from './signing-keys';

/** What the auth module answers on the bus. */
@Controller()
export class AuthMessagesController {
  constructor(
    private readonly keys: SigningKeys,
    private readonly sessionRevocations: SessionRevocations,
  ) {}

  @Answers(Jwks)
  jwks(): JwksDto {
    return this.keys.jwks;
  }

  @Answers(Revocations)
  revocations(@Payload() request: RevocationsRequest): Promise<RevocationsReply> {
    return this.sessionRevocations.since(request.sinceMs);
  }
}
