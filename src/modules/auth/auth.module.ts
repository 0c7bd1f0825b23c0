import { Module, OnModuleInit } from '@nestjs/common';
import { Readiness } from '../../shared/observability/readiness';
import {
  DATABASE_CONFIG,
  type DatabaseConfig,
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
import { openSessionRepository, redisCheck } from './persistence/auth-database';
import { SessionRepository } from './persistence/session-repository';
import { Tokens } from './tokens';

/** Login, sessions and access tokens. */
@Module({
  controllers: [AuthController, AuthMessagesController, AccountEventsHandler],
  providers: [
    {
      provide: SigningKeys,
      inject: [TOKENS_CONFIG, DATABASE_CONFIG.auth],
      useFactory: (tokens: TokensConfig, database: DatabaseConfig) =>
        SigningKeys.load(tokens, database.dataDir),
    },
    {
      provide: SessionRepository,
      inject: [DATABASE_CONFIG.auth, TOKENS_CONFIG],
      useFactory: (database: DatabaseConfig, tokens: TokensConfig) =>
        openSessionRepository(database, tokens.acceptedAgeSeconds),
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
    private readonly sessions: SessionRepository,
  ) {}

  onModuleInit(): void {
    const check = redisCheck(this.sessions);
    if (check) this.readiness.register('auth-redis', check);
  }
}
