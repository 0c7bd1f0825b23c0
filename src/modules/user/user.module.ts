import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../shared/config/config';
import { Readiness } from '../../shared/health/readiness';
import { ModuleDatabase } from '../../shared/persistence/module-database';
import { AdminBootstrap } from './admin-bootstrap';
import { UsersController } from './http/users.controller';
import { OrderSummaryHandler } from './order-summary.handler';
import { PasswordHasher } from './password-hasher';
import { CreateUsers1732500000000 } from './persistence/migrations/1732500000000-create-users';
import { UserRow } from './persistence/user.row';
import { USER_DATABASE, UsersRepository } from './persistence/users.repository';
import { UserMessagesController } from './user-messages.controller';
import { UsersService } from './users.service';

/** Accounts, profiles and order summaries; owns the `cleave_user` schema. */
@Module({
  controllers: [UsersController, UserMessagesController, OrderSummaryHandler],
  providers: [
    {
      provide: USER_DATABASE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        ModuleDatabase.open({
          module: 'user',
          url: config.USER_DATABASE_URL,
          dataDir: config.DATA_DIR,
          schema: 'cleave_user',
          entities: [UserRow],
          migrations: [CreateUsers1732500000000],
          timeoutMs: config.DB_TIMEOUT_MS,
        }),
    },
    UsersRepository,
    PasswordHasher,
    UsersService,
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
