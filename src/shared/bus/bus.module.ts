import { DynamicModule, Global, Module } from '@nestjs/common';
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
  }
}

@Global()
@Module({})
export class BusModule {
  static forRoot(transport: BusTransport): DynamicModule {
    return {
      module: BusModule,
      providers: [{ provide: BUS_CLIENT, useValue: transport.client }, Bus],
      exports: [Bus],
    };
  }
}
