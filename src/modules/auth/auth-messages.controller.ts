import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../shared/bus/bus-event';
import type { JwksDto } from '../../shared/security/security.contract';
import { USER_EVENTS, UserAccountEventData } from '../user/user.contract';
import { AUTH_PATTERNS } from './auth.contract';
import { SessionsService } from './sessions.service';
import { SigningKeys } from './signing-keys';

/** What the auth module answers and consumes on the bus. */
@Controller()
export class AuthMessagesController {
  constructor(
    private readonly keys: SigningKeys,
    private readonly sessions: SessionsService,
  ) {}

  @MessagePattern(AUTH_PATTERNS.jwks)
  jwks(): JwksDto {
    return this.keys.jwks;
  }

  /** Revocation is idempotent by nature: a redelivered event changes nothing. */
  @EventPattern(USER_EVENTS.deleted)
  onUserDeleted(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    return this.sessions.revokeAll(event.data.userId);
  }

  @EventPattern(USER_EVENTS.passwordChanged)
  onPasswordChanged(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    return this.sessions.revokeAll(event.data.userId);
  }
}
