import {
  BeforeApplicationShutdown,
  type FactoryProvider,
  type InjectionToken,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Bus } from '../bus/bus';
import { OUTBOX_CONFIG, type OutboxConfig } from '../config/app-config';
import type { BusinessModule } from '../modules/registry';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRelay, relayOptions } from './outbox-relay';
import type { OutboxRepository } from './outbox-repository';

/** What a repository tells its module's outbox after a commit that queued events. */
export interface CommitSignal {
  committed(): void;
}

/**
 * One module's transactional outbox, whatever its database: creates the relay, starts it once the
 * application is up, wakes it after every commit that queued events (`committed`), waits for an
 * event's handlers (`delivered`), and stops it, its batch finished, before the module's database
 * closes (beforeApplicationShutdown runs before any onApplicationShutdown). Its readiness is its
 * repository's, which the module's database check covers.
 */
export class ModuleOutbox
  implements CommitSignal, OnApplicationBootstrap, BeforeApplicationShutdown
{
  constructor(readonly relay: OutboxRelay) {}

  committed(): void {
    this.relay.nudge();
  }

  /** Resolves true once every handler of `eventId` is done, false after `timeoutMs`. */
  delivered(eventId: string, timeoutMs: number): Promise<boolean> {
    return this.relay.delivered(eventId, timeoutMs);
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.relay.stop();
  }
}

/**
 * The Nest provider of a module's outbox under `token`: `repository` opens the module's outbox
 * repository from the providers named in `inject` (its database, typically).
 */
export function outboxProvider<Deps extends unknown[]>(
  token: InjectionToken,
  module: BusinessModule,
  inject: { [K in keyof Deps]: InjectionToken },
  repository: (...deps: Deps) => OutboxRepository | Promise<OutboxRepository>,
): FactoryProvider<ModuleOutbox> {
  return {
    provide: token,
    inject: [Bus, OutboxMetrics, OUTBOX_CONFIG, ...inject],
    useFactory: async (
      bus: Bus,
      metrics: OutboxMetrics,
      config: OutboxConfig,
      ...deps: unknown[]
    ) =>
      new ModuleOutbox(
        new OutboxRelay(
          module,
          await repository(...(deps as Deps)),
          bus,
          metrics,
          relayOptions(config),
        ),
      ),
  };
}
