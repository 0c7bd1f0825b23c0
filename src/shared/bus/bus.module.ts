import { DynamicModule, Global, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Readiness } from '../observability/readiness';
import { Metrics } from '../observability/metrics';
import { Bus, BUS_TRANSPORT } from './bus';
import { NatsLink } from './nats/nats-link';
import type { BusTransport } from './transport';
import type { ConsumerLag } from './transport-types';

/** Exports how far behind each durable event consumer of this process is (none on `local`). */
@Injectable()
class ConsumerLagMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    @Inject(BUS_TRANSPORT) private readonly transport: BusTransport,
  ) {}

  onModuleInit(): void {
    if (!this.transport.link) return; // local: events are handled as they are published
    const registers = [this.metrics.registry];
    // One read per scrape, shared by both gauges.
    let reading: Promise<void> | undefined;
    const record = (lags: ConsumerLag[]) => {
      for (const { consumer, pending: p, ackPending: a } of lags) {
        pending.set({ consumer }, p);
        ackPending.set({ consumer }, a);
      }
    };
    const collect = (): Promise<void> => {
      reading ??= this.transport
        .lag()
        .then(record)
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
        { provide: BUS_TRANSPORT, useValue: transport },
        ConsumerLagMetrics,
        Bus,
        ...(transport.link ? [{ provide: NatsLink, useValue: transport.link }, NatsReadiness] : []),
      ],
      exports: [Bus],
    };
  }
}
