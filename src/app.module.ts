import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { BusModule } from './shared/bus/bus.module';
import type { BusTransport } from './shared/bus/transport';
import type { AppConfig } from './shared/config/app-config';
import { ConfigModule } from './shared/config/config.module';
import type { BusinessModule } from './shared/modules/registry';
import { HealthModule } from './shared/health/health.module';
import { MetricsController } from './shared/health/metrics.controller';
import { ProblemFilter } from './shared/http/problem.filter';
import { Metrics } from './shared/observability/metrics';
import { ObservabilityModule } from './shared/observability/observability.module';
import { OutboxMetricsModule } from './shared/outbox/outbox-metrics';
import { BreakersModule } from './shared/resilience/breakers';
import { SecurityModule } from './shared/security/security.module';
import { AuthModule } from './modules/auth/auth.module';
import { OrderModule } from './modules/order/order.module';
import { UserModule } from './modules/user/user.module';

/** Each registered module's Nest module (the compiler holds this to the registry). */
export const NEST_MODULES: Record<BusinessModule, Type> = {
  auth: AuthModule,
  user: UserModule,
  order: OrderModule,
};

/** What every process runs besides its modules (the AsyncAPI generator reads their handlers). */
export const EVERY_PROCESS: readonly Type[] = [SecurityModule, HealthModule];

/** Composes the modules named in `MODULES` with the shared infrastructure, bottom up. */
@Module({})
export class AppModule {
  static forRoot(parts: {
    config: AppConfig;
    transport: BusTransport;
    /** nestjs-pino's logger, which `app.get(Logger)` answers (see `logRequests` for requests). */
    logger: Logger;
    /** The application's metrics, which the transport's server reports to already. */
    metrics: Metrics;
  }): DynamicModule {
    const { config, transport, logger, metrics } = parts;
    const modules = config.modules.flatMap((name) =>
      name === 'gateway' ? [] : [NEST_MODULES[name]],
    );
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ logger, metrics }),
        BreakersModule,
        OutboxMetricsModule,
        BusModule.forRoot(transport),
        ...EVERY_PROCESS,
        ...modules,
      ],
      controllers: [MetricsController],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }],
    };
  }
}
