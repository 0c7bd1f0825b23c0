import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../shared/bus/bus-event';
import type {
  JwksDto,
  RevocationsReply,
  RevocationsRequest,
} from '../../shared/security/security.contract';
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

  @MessagePattern(AUTH_PATTERNS.revocations)
  revocations(@Payload() request: RevocationsRequest): Promise<RevocationsReply> {
    const since = Number(request?.sinceMs);
    return this.sessions.revocationsSince(Number.isFinite(since) ? since : 0);
  }

  /** Recorded in the auth store's inbox: a redelivery cannot revoke sessions opened since. */
  @EventPattern(USER_EVENTS.deleted, { consumer: 'auth-revoke-on-user-deleted' })
  onUserDeleted(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    return this.sessions.revokeAll(event.data.userId, {
      handler: 'auth.revoke-on-deleted',
      eventId: event.id,
    });
  }

  @EventPattern(USER_EVENTS.passwordChanged, { consumer: 'auth-revoke-on-password-changed' })
  onPasswordChanged(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    return this.sessions.revokeAll(event.data.userId, {
      handler: 'auth.revoke-on-password-changed',
      eventId: event.id,
    });
  }
}
