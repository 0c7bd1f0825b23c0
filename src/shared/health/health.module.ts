import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventLoopMonitor } from '../observability/event-loop';
import { HealthController } from './health.controller';
import { Readiness } from '../observability/readiness';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [Readiness, EventLoopMonitor],
  exports: [Readiness],
})
export class HealthModule {}
