import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../../shared/config/config';
import { AuthMessagesController } from './auth-messages.controller';
import { AuthController } from './http/auth.controller';
import { SessionsService } from './sessions.service';
import { SigningKeys } from './signing-keys';
import { AuthStore } from './store/auth-store';
import { MemoryAuthStore } from './store/memory-auth-store';
import { Tokens } from './tokens';

/** Login, sessions and access tokens. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => [
        {
          name: 'auth-per-address',
          ttl: 60_000,
          limit: config.AUTH_RATE_LIMIT_PER_MINUTE,
          // One budget per address across every auth route, not one per route.
          generateKey: (_context, tracker, name) => `${name}:${tracker}`,
        },
      ],
    }),
  ],
  controllers: [AuthController, AuthMessagesController],
  providers: [
    { provide: SigningKeys, inject: [APP_CONFIG], useFactory: (config: AppConfig) => SigningKeys.load(config) },
    { provide: AuthStore, useClass: MemoryAuthStore },
    Tokens,
    SessionsService,
  ],
})
export class AuthModule {}
