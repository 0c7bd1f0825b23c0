import { type DynamicModule, Module } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { Metrics } from './metrics';

/**
 * The process' logger and metrics, to every module. Both are made before the application: the
 * logger carries Nest's own start-up lines, the metrics see the bus transport's handlers.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(parts: { logger: Logger; metrics: Metrics }): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      providers: [
        { provide: Logger, useValue: parts.logger },
        { provide: Metrics, useValue: parts.metrics },
      ],
      exports: [Logger, Metrics],
    };
  }
}
