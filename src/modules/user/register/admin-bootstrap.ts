import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../shared/config/config';
import { UserRepository } from '../persistence/user-repository';
import { EmailTaken } from '../user.errors';
import { RegisterUser } from './register-user';

/** Ensures the `ADMIN_EMAIL` account exists and is an admin; idempotent across restarts. */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UserRepository,
    private readonly register: RegisterUser,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = this.config;
    if (!email || !password) return;
    const existing = await this.users.findByEmail(email);
    if (!existing) {
      try {
        await this.register.execute({ email, password, name: 'Administrator' }, ['user', 'admin']);
        this.logger.log('admin account created');
        return;
      } catch (error) {
        if (!(error instanceof EmailTaken)) throw error;
      }
    }
    const user = existing ?? (await this.users.findByEmail(email));
    if (user && !user.roles.includes('admin')) {
      await this.users.update(user.id, { roles: [...user.roles, 'admin'] });
      this.logger.log('admin role granted');
    }
  }
}
