import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../../shared/bus/bus-event';
import { OnEvent } from '../../../shared/bus/bus-handler';
import {
  type UserAccountEventData,
  UserDeleted,
  UserPasswordChanged,
} from '../../user/user.contract';
import { RevokeUserSessions } from './revoke-user-sessions';

/** Each handler's one name: its durable consumer on NATS and its inbox key. */
const REVOKE_ON_USER_DELETED = 'auth-revoke-on-user-deleted';
const REVOKE_ON_PASSWORD_CHANGED = 'auth-revoke-on-password-changed';

/**
 * `user.deleted` and `user.password-changed` → RevokeUserSessions, recorded in the session
 * repository's inbox.
 */
@Controller()
export class AccountEventsHandler {
  constructor(private readonly revoke: RevokeUserSessions) {}

  @OnEvent(UserDeleted, { consumer: REVOKE_ON_USER_DELETED })
  onUserDeleted(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    return this.revoke.execute(event.data.userId, {
      handler: REVOKE_ON_USER_DELETED,
      eventId: event.id,
    });
  }

  @OnEvent(UserPasswordChanged, { consumer: REVOKE_ON_PASSWORD_CHANGED })
  onPasswordChanged(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    return this.revoke.execute(event.data.userId, {
      handler: REVOKE_ON_PASSWORD_CHANGED,
      eventId: event.id,
    });
  }
}
