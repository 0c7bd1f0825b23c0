import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../../shared/bus/bus-event';
import { USER_EVENTS, UserAccountEventData } from '../../user/user.contract';
import { RevokeUserSessions } from './revoke-user-sessions';

/** `user.deleted` and `user.password-changed` → RevokeUserSessions, recorded in the store's inbox. */
@Controller()
export class AccountEventsHandler {
  constructor(private readonly revoke: RevokeUserSessions) {}

  @EventPattern(USER_EVENTS.deleted, { consumer: 'auth-revoke-on-user-deleted' })
  onUserDeleted(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    return this.revoke.execute(event.data.userId, {
      handler: 'auth.revoke-on-deleted',
      eventId: event.id,
    });
  }

  @EventPattern(USER_EVENTS.passwordChanged, { consumer: 'auth-revoke-on-password-changed' })
  onPasswordChanged(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    return this.revoke.execute(event.data.userId, {
      handler: 'auth.revoke-on-password-changed',
      eventId: event.id,
    });
  }
}
