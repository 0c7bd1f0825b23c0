import { DynamicModule, Global, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import type { ClientProxy, CustomTransportStrategy } from '@nestjs/microservices';
import type { AppConfig } from '../config/config';
import { Bus, BUS_CLIENT } from './bus';
import { LocalBroker } from './local/local-broker';
import { LocalClient } from './local/local-client';
import { LocalServer } from './local/local-server';
import { NatsClient } from './nats/nats-client';
import { NatsLink } from './nats/nats-link';
import { NatsServer } from './nats/nats-server';
import { Readiness } from '../health/readiness';

/** Both halves of one transport, chosen by `TRANSPORT`. */
export interface BusTransport {
  readonly server: CustomTransportStrategy;
  readonly client: ClientProxy;
  /** The connection to NATS, when the transport has one: closed last, checked by readiness. */
  readonly link?: NatsLink;
}

export function createBusTransport(config: AppConfig): BusTransport {
  switch (config.TRANSPORT) {
    case 'local': {
      const broker = new LocalBroker();
      return {
        server: new LocalServer(broker),
        client: new LocalClient(broker),
      };
    }
    case 'nats': {
      const link = new NatsLink({
        url: config.NATS_URL,
        namespace: config.NATS_NAMESPACE,
        name: `cleave-${config.MODULES.join('+')}-${process.pid}`,
        timeoutMs: config.BUS_TIMEOUT_MS,
      });
      return {
        link,
        client: new NatsClient(link, config.BUS_TIMEOUT_MS),
        server: new NatsServer(link, {
          maxDeliver: config.NATS_MAX_DELIVER,
          ackWaitMs: config.NATS_ACK_WAIT_MS,
          backoffBaseMs: config.OUTBOX_BACKOFF_BASE_MS,
          backoffMaxMs: config.OUTBOX_BACKOFF_MAX_MS,
        }),
      };
    }
  }
}

/** Registers the NATS readiness check. */
@Injectable()
class NatsReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    @Inject(NatsLink) private readonly link: NatsLink,
  ) {}

  onModuleInit(): void {
    this.readiness.register('nats', () => this.link.ping());
  }
}

@Global()
@Module({})
export class BusModule {
  static forRoot(transport: BusTransport): DynamicModule {
    return {
      module: BusModule,
      providers: [
        { provide: BUS_CLIENT, useValue: transport.client },
        Bus,
        ...(transport.link ? [{ provide: NatsLink, useValue: transport.link }, NatsReadiness] : []),
      ],
      exports: [Bus],
    };
  }
}
