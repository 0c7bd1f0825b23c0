import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type {
  JwksDto,
  RevocationsReply,
  RevocationsRequest,
} from '../../shared/security/security.contract';
import { AUTH_PATTERNS } from './auth.contract';
import { SessionRevocations } from './revocations/session-revocations';
import { SigningKeys } from './signing-keys';

/** What the auth module answers on the bus. */
@Controller()
export class AuthMessagesController {
  constructor(
    private readonly keys: SigningKeys,
    private readonly sessionRevocations: SessionRevocations,
  ) {}

  @MessagePattern(AUTH_PATTERNS.jwks)
  jwks(): JwksDto {
    return this.keys.jwks;
  }

  @MessagePattern(AUTH_PATTERNS.revocations)
  revocations(@Payload() request: RevocationsRequest): Promise<RevocationsReply> {
    const since = Number(request?.sinceMs);
    return this.sessionRevocations.since(Number.isFinite(since) ? since : 0);
  }
}
