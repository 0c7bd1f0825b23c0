import {
  BeforeApplicationShutdown,
  Inject,
  Module,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { Bus } from '../../shared/bus/bus';
import { APP_CONFIG, type AppConfig } from '../../shared/config/config';
import { Readiness } from '../../shared/health/readiness';
import { ModuleDatabase } from '../../shared/persistence/module-database';
import { OutboxMetrics } from '../../shared/persistence/outbox-metrics';
import { OutboxRelay, relayOptions } from '../../shared/persistence/outbox-relay';
import { SqlOutboxStore } from '../../shared/persistence/sql-outbox-store';
import { AdminBootstrap } from './register/admin-bootstrap';
import { UsersController } from './http/users.controller';
import { OrderSummaryHandler } from './order-summary/order-summary.handler';
import { PasswordHasher } from './password-hasher';
import { openUserDatabase } from './persistence/user-store';
import { USER_DATABASE, USER_OUTBOX, UsersRepository } from './persistence/users.repository';
import { UserMessagesController } from './answer-peers/user-messages.controller';
import { ChangePassword } from './manage-account/change-password';
import { DeleteAccount } from './manage-account/delete-account';
import { EventEffects } from './manage-account/event-effects';
import { RenameUser } from './manage-account/rename-user';
import { ReadUsers } from './read-users/read-users';
import { RegisterUser } from './register/register-user';

/** Accounts, profiles and order summaries; owns the `cleave_user` schema. */
@Module({
  controllers: [UsersController, UserMessagesController, OrderSummaryHandler],
  providers: [
    {
      provide: USER_DATABASE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => openUserDatabase(config),
    },
    {
      provide: USER_OUTBOX,
      inject: [USER_DATABASE, Bus, OutboxMetrics, APP_CONFIG],
      useFactory: (db: ModuleDatabase, bus: Bus, metrics: OutboxMetrics, config: AppConfig) =>
        new OutboxRelay(
          'user',
          new SqlOutboxStore(db.sql.bind(db)),
          bus,
          metrics,
          relayOptions(config),
        ),
    },
    UsersRepository,
    PasswordHasher,
    RegisterUser,
    ReadUsers,
    RenameUser,
    EventEffects,
    ChangePassword,
    DeleteAccount,
    AdminBootstrap,
  ],
})
export class UserModule implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly readiness: Readiness,
    @Inject(USER_DATABASE) private readonly db: ModuleDatabase,
    @Inject(USER_OUTBOX) private readonly outbox: OutboxRelay,
  ) {}

  onModuleInit(): void {
    this.readiness.register('user-db', () => this.db.ping());
  }

  onApplicationBootstrap(): void {
    this.outbox.start();
  }

  /** The relay finishes its batch before the database closes. */
  beforeApplicationShutdown(): Promise<void> {
    return this.outbox.stop();
  }
}
