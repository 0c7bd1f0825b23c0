import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ADMIN_CONFIG, type AdminConfig } from '../../../shared/config/app-config';
import { UserRepository } from '../persistence/user-repository';
import { EmailTaken } from '../user.errors';
import { RegisterUser } from './register-user';

/** Ensures the `ADMIN_EMAIL` account exists and is an admin; idempotent across restarts. */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    @Inject(ADMIN_CONFIG) private readonly config: AdminConfig,
    private readonly users: UserRepository,
    private readonly register: RegisterUser,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { email, password } = this.config;
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
