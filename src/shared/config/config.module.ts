import { type DynamicModule, Module } from '@nestjs/common';
import { BUSINESS_MODULES } from '../modules/registry';
import {
  ADMIN_CONFIG,
  type AppConfig,
  BREAKERS_CONFIG,
  BUS_CONFIG,
  DATABASE_CONFIG,
  LOGINS_CONFIG,
  OBSERVABILITY_CONFIG,
  OUTBOX_CONFIG,
  PASSWORDS_CONFIG,
  TOKENS_CONFIG,
} from './app-config';

/**
 * Each configuration group a Nest provider injects, under its token, from the configuration the
 * composition root loaded. The whole configuration is provided to no one.
 */
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const groups = [
      { provide: BUS_CONFIG, useValue: config.bus },
      ...BUSINESS_MODULES.map((module) => ({
        provide: DATABASE_CONFIG[module],
        useValue: config.databases[module],
      })),
      { provide: TOKENS_CONFIG, useValue: config.tokens },
      { provide: LOGINS_CONFIG, useValue: config.logins },
      { provide: PASSWORDS_CONFIG, useValue: config.passwords },
      { provide: ADMIN_CONFIG, useValue: config.admin },
      { provide: OUTBOX_CONFIG, useValue: config.outbox },
      { provide: BREAKERS_CONFIG, useValue: config.breakers },
      { provide: OBSERVABILITY_CONFIG, useValue: config.observability },
    ];
    return {
      module: ConfigModule,
      global: true,
      providers: groups,
      exports: groups.map((group) => group.provide),
    };
  }
}
