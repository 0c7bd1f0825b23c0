import { BeforeApplicationShutdown, DynamicModule, Global, Inject, Injectable, Module } from '@nestjs/common';
import type { ClientProxy, CustomTransportStrategy } from '@nestjs/microservices';
import type { AppConfig } from '../config/config';
import { Bus, BUS_CLIENT } from './bus';
import { LocalBroker } from './local/local-broker';
import { LocalClient } from './local/local-client';
import { LocalServer } from './local/local-server';

/** Both halves of one transport, chosen by `TRANSPORT`. */
export interface BusTransport {
  readonly server: CustomTransportStrategy;
  readonly client: ClientProxy;
  /** Waits for messages already handed over to be handled. */
  drain(): Promise<void>;
}

export function createBusTransport(config: AppConfig): BusTransport {
  switch (config.TRANSPORT) {
    case 'local': {
      const broker = new LocalBroker();
      return {
        server: new LocalServer(broker),
        client: new LocalClient(broker),
        drain: () => broker.drain(),
      };
    }
  }
}

const BUS_TRANSPORT = Symbol('BUS_TRANSPORT');

/** On shutdown, events already handed to the bus are handled before stores close. */
@Injectable()
class BusDrain implements BeforeApplicationShutdown {
  constructor(@Inject(BUS_TRANSPORT) private readonly transport: BusTransport) {}

  beforeApplicationShutdown(): Promise<void> {
    return this.transport.drain();
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
        { provide: BUS_CLIENT, useValue: transport.client },
        Bus,
        BusDrain,
      ],
      exports: [Bus],
    };
  }
}
