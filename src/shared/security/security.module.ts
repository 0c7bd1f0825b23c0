import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { Revocations } from './revocations';
import { RevocationsListener } from './revocations.listener';
import { TokenVerifier } from './token-verifier';

@Global()
@Module({
  controllers: [RevocationsListener],
  providers: [TokenVerifier, Revocations, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TokenVerifier],
})
export class SecurityModule {}
