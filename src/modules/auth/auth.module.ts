import { join } from 'node:path';
import { Module, OnModuleInit } from '@nestjs/common';
import { Readiness } from '../../shared/observability/readiness';
import { APP_CONFIG, type AppConfig } from '../../shared/config/config';
import { acceptedTokenAgeSeconds } from '../../shared/security/security.contract';
import { AuthMessagesController } from './auth-messages.controller';
import { AuthController } from './http/auth.controller';
import { UserCredentials } from './clients/user-credentials.client';
import { Login } from './login/login';
import { Logout } from './logout/logout';
import { RefreshSession } from './refresh/refresh-session';
import { SessionRevocations } from './revocations/session-revocations';
import { AccountEventsHandler } from './revoke-on-account-change/account-events.handler';
import { RevokeUserSessions } from './revoke-on-account-change/revoke-user-sessions';
import { SigningKeys } from './signing-keys';
import { AuthStore } from './store/auth-store';
import { MemoryAuthStore } from './store/memory-auth-store';
import { RedisAuthStore } from './store/redis-auth-store';
import { Tokens } from './tokens';

/** Login, sessions and access tokens. */
@Module({
  controllers: [AuthController, AuthMessagesController, AccountEventsHandler],
  providers: [
    {
      provide: SigningKeys,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => SigningKeys.load(config),
    },
    {
      provide: AuthStore,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<AuthStore> => {
        // A revocation is kept while a token of its session could still be accepted.
        const keepMs = acceptedTokenAgeSeconds(config.ACCESS_TOKEN_TTL_SECONDS) * 1000;
        return config.AUTH_REDIS_URL
          ? RedisAuthStore.connect(config.AUTH_REDIS_URL, config.DB_TIMEOUT_MS, undefined, keepMs)
          : MemoryAuthStore.withJournal(join(config.DATA_DIR, 'auth', 'revocations.jsonl'), keepMs);
      },
    },
    Tokens,
    UserCredentials,
    SessionRevocations,
    Login,
    RefreshSession,
    Logout,
    RevokeUserSessions,
  ],
})
export class AuthModule implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly store: AuthStore,
  ) {}

  onModuleInit(): void {
    const store = this.store;
    if (store instanceof RedisAuthStore) this.readiness.register('auth-redis', () => store.ping());
  }
}
