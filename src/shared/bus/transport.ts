import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { BusConfig } from '../config/app-config';
import type { BusClient, ConsumerLag } from './transport-types';
import type { BusEvent } from './bus-event';
import type { HandlerObserver } from '../observability/metrics';
import { LocalBroker } from './local/local-broker';
import { LocalClient } from './local/local-client';
import { LocalServer } from './local/local-server';
import { NatsClient } from './nats/nats-client';
import { NatsLink } from './nats/nats-link';
import { NatsServer } from './nats/nats-server';

/**
 * One transport, both halves and what the rest of the application asks of it. Chosen by
 * `TRANSPORT`; the retry rule of its event handlers is `retry.ts`'s.
 */
export interface BusTransport {
  /** Runs this process' `@MessagePattern`/`@EventPattern` handlers. */
  readonly server: CustomTransportStrategy;
  readonly client: BusClient;
  /**
   * Resolves true once every handler of a published event has handled it, false after
   * `timeoutMs`. `receipt` is what publishing it returned.
   */
  awaitHandled(event: BusEvent, receipt: unknown, timeoutMs: number): Promise<boolean>;
  /** The durable consumers of this process and how far behind each is; none on `local`. */
  lag(): Promise<ConsumerLag[]>;
  /**
   * Resolves true once the broadcasts of `pattern` that were sent before this process started
   * (and kept) have reached its handlers; false where nothing is kept (`local`: one process).
   */
  broadcastsReplayed(pattern: string): Promise<boolean>;
  /** The connection to NATS, when the transport has one: closed last, checked by readiness. */
  readonly link?: NatsLink;
}

/**
 * The transport `config.transport` names. `observer` sees every message its server handles (the
 * application's metrics).
 */
export function createBusTransport(config: BusConfig, observer: HandlerObserver): BusTransport {
  switch (config.transport) {
    case 'local':
      return localTransport(config, observer);
    case 'nats':
      return natsTransport(config, observer);
  }
}

/**
 * In-process: publishing an event runs its handlers and resolves when they are done, so an
 * event is handled once published, and nothing lags.
 */
function localTransport(config: BusConfig, observer: HandlerObserver): BusTransport {
  const broker = new LocalBroker();
  return {
    server: new LocalServer(broker, observer),
    client: new LocalClient(broker, config.timeoutMs),
    awaitHandled: () => Promise.resolve(true),
    lag: () => Promise.resolve([]),
    broadcastsReplayed: () => Promise.resolve(false),
  };
}

function natsTransport(config: BusConfig, observer: HandlerObserver): BusTransport {
  const link = new NatsLink({
    url: config.nats.url,
    namespace: config.nats.namespace,
    name: `cleave-${config.source}-${process.pid}`,
    timeoutMs: config.timeoutMs,
  });
  const client = new NatsClient(link, config.timeoutMs);
  const server = new NatsServer(link, observer, {
    maxDeliver: config.nats.maxDeliver,
    ackWaitMs: config.nats.ackWaitMs,
    backoff: config.nats.backoff,
    broadcastReplayMs: config.nats.broadcastReplayMs,
  });
  return {
    link,
    server,
    client,
    awaitHandled: (event, receipt, timeoutMs) =>
      client.awaitHandled(event.type, receipt, timeoutMs),
    lag: () => server.lag(),
    broadcastsReplayed: (pattern) => server.broadcastsReplayed(pattern),
  };
}
