import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { DATABASE_CONFIG } from '../../shared/config/app-config';
import { Readiness } from '../../shared/observability/readiness';
import { ModuleDatabase } from '../../shared/persistence/module-database';
import { outboxProvider } from '../../shared/outbox/module-outbox';
import { AdminBootstrap } from './register/admin-bootstrap';
import { UsersController } from './http/users.controller';
import { OrderSummaryHandler } from './order-summary/order-summary.handler';
import { PasswordHasher } from './password-hasher';
import {
  openUserDatabase,
  openUserOutboxRepository,
  openUserRepository,
} from './persistence/user-database';
import { UserRepository } from './persistence/user-repository';
import { UserMessagesController } from './answer-peers/user-messages.controller';
import { ChangePassword } from './manage-account/change-password';
import { DeleteAccount } from './manage-account/delete-account';
import { EventEffects } from './manage-account/event-effects';
import { RenameUser } from './manage-account/rename-user';
import { ReadUsers } from './read-users/read-users';
import { RegisterUser } from './register/register-user';

const USER_DATABASE = Symbol('USER_DATABASE');
const USER_OUTBOX = Symbol('USER_OUTBOX');

/** Accounts, profiles and order summaries; owns the `cleave_user` schema. */
@Module({
  controllers: [UsersController, UserMessagesController, OrderSummaryHandler],
  providers: [
    {
      provide: USER_DATABASE,
      inject: [DATABASE_CONFIG.user],
      useFactory: openUserDatabase,
    },
    outboxProvider(USER_OUTBOX, 'user', [USER_DATABASE], openUserOutboxRepository),
    {
      provide: UserRepository,
      inject: [USER_DATABASE, USER_OUTBOX],
      useFactory: openUserRepository,
    },
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
export class UserModule implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    @Inject(USER_DATABASE) private readonly db: ModuleDatabase,
  ) {}

  onModuleInit(): void {
    this.readiness.register('user-db', () => this.db.ping());
  }
}
