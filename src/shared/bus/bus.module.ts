import { DynamicModule, Global, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { AppConfig } from '../config/config';
import { Bus, BUS_CLIENT, type BusClient } from './bus';
import { LocalBroker } from './local/local-broker';
import { LocalClient } from './local/local-client';
import { LocalServer } from './local/local-server';
import { NatsClient } from './nats/nats-client';
import { NatsLink } from './nats/nats-link';
import { NatsServer } from './nats/nats-server';
import { Readiness } from '../health/readiness';
import { Metrics } from '../observability/metrics';
import { Gauge } from 'prom-client';
import type { HandlerObserver } from './bus-handler';

const BUS_SERVER = Symbol('BUS_SERVER');

/** Both halves of one transport, chosen by `TRANSPORT`. */
export interface BusTransport {
  readonly server: CustomTransportStrategy;
  readonly client: BusClient;
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

/** Hands the transport's server the application's metrics; exports JetStream consumer lag. */
@Injectable()
class BusInstrumentation implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    @Inject(BUS_SERVER) private readonly server: CustomTransportStrategy,
  ) {}

  onModuleInit(): void {
    (this.server as { observer?: HandlerObserver }).observer = this.metrics.busHandlers;
    const server = this.server;
    if (!(server instanceof NatsServer)) return;
    const registers = [this.metrics.registry];
    // One read per scrape, shared by both gauges.
    let reading: Promise<void> | undefined;
    const collect = (): Promise<void> => {
      reading ??= server
        .lag()
        .then((consumers) => {
          for (const { consumer, pending: p, ackPending: a } of consumers) {
            pending.set({ consumer }, p);
            ackPending.set({ consumer }, a);
          }
        })
        .catch(() => undefined)
        .finally(() => (reading = undefined));
      return reading;
    };
    const pending = new Gauge({
      name: 'jetstream_consumer_pending_messages',
      help: 'Events in the stream not yet delivered to this durable consumer',
      labelNames: ['consumer'] as const,
      registers,
      collect,
    });
    const ackPending = new Gauge({
      name: 'jetstream_consumer_ack_pending_messages',
      help: 'Events delivered to this durable consumer and not yet acknowledged',
      labelNames: ['consumer'] as const,
      registers,
      collect,
    });
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
        { provide: BUS_SERVER, useValue: transport.server },
        BusInstrumentation,
        Bus,
        ...(transport.link ? [{ provide: NatsLink, useValue: transport.link }, NatsReadiness] : []),
      ],
      exports: [Bus],
    };
  }
}
