import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { BusEvent } from '../../../shared/bus/bus-event';
import { OnEvent } from '../../../shared/bus/bus-handler';
import {
  type UserAccountEventData,
  UserDeleted,
  UserPasswordChanged,
  UserRegistered,
  type UserRegisteredData,
} from '../../user/user.contract';
import { RecordAccount } from './record-account';

/**
 * Each handler's one name: its durable consumer on NATS. A new consumer starts from the oldest
 * event the stream keeps, so an empty view fills itself from the user module's events (see
 * `AccountViewFill`); applying an event twice changes nothing (versions, tombstones).
 */
export const ACCOUNT_VIEW_CONSUMERS = {
  registered: 'order-account-view-registered',
  deleted: 'order-account-view-deleted',
  passwordChanged: 'order-account-view-password-changed',
} as const;

/** The user module's account events → the order module's account view. */
@Controller()
export class AccountEventsHandler {
  constructor(private readonly record: RecordAccount) {}

  @OnEvent(UserRegistered, { consumer: ACCOUNT_VIEW_CONSUMERS.registered })
  onRegistered(@Payload() event: BusEvent<UserRegisteredData>): Promise<void> {
    const { userId, accountVersion } = event.data;
    return this.record.execute(
      userId,
      { version: accountVersion, deleted: false },
      { time: event.time, change: 'registered' },
    );
  }

  @OnEvent(UserDeleted, { consumer: ACCOUNT_VIEW_CONSUMERS.deleted })
  onDeleted(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    const { userId, accountVersion } = event.data;
    return this.record.execute(
      userId,
      { version: accountVersion, deleted: true },
      { time: event.time, change: 'deleted' },
    );
  }

  @OnEvent(UserPasswordChanged, { consumer: ACCOUNT_VIEW_CONSUMERS.passwordChanged })
  onPasswordChanged(@Payload() event: BusEvent<UserAccountEventData>): Promise<void> {
    const { userId, accountVersion } = event.data;
    return this.record.execute(
      userId,
      { version: accountVersion, deleted: false },
      { time: event.time, change: 'password-changed' },
    );
  }
}
