import { join } from 'node:path';
import { Module, OnModuleInit } from '@nestjs/common';
import { Readiness } from '../../shared/observability/readiness';
import {
  DATABASES_CONFIG,
  type DatabasesConfig,
  TOKENS_CONFIG,
  type TokensConfig,
} from '../../shared/config/app-config';
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
      inject: [TOKENS_CONFIG, DATABASES_CONFIG],
      useFactory: (tokens: TokensConfig, databases: DatabasesConfig) =>
        SigningKeys.load(tokens, databases.auth.dataDir),
    },
    {
      provide: AuthStore,
      inject: [TOKENS_CONFIG, DATABASES_CONFIG],
      useFactory: async (tokens: TokensConfig, databases: DatabasesConfig): Promise<AuthStore> => {
        const { url, dataDir, timeoutMs } = databases.auth;
        // A revocation is kept while a token of its session could still be accepted.
        const keepMs = (tokens.accessTtlSeconds + 60) * 1000;
        return url
          ? RedisAuthStore.connect(url, timeoutMs, undefined, keepMs)
          : MemoryAuthStore.withJournal(join(dataDir, 'auth', 'revocations.jsonl'), keepMs);
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
