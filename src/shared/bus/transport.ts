import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { AppConfig } from '../config/config';
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
 * The transport `config.TRANSPORT` names. `observer` sees every message its server handles (the
 * application's metrics).
 */
export function createBusTransport(config: AppConfig, observer: HandlerObserver): BusTransport {
  switch (config.TRANSPORT) {
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
function localTransport(config: AppConfig, observer: HandlerObserver): BusTransport {
  const broker = new LocalBroker();
  return {
    server: new LocalServer(broker, observer),
    client: new LocalClient(broker, config.BUS_TIMEOUT_MS),
    awaitHandled: () => Promise.resolve(true),
    lag: () => Promise.resolve([]),
    broadcastsReplayed: () => Promise.resolve(false),
  };
}

function natsTransport(config: AppConfig, observer: HandlerObserver): BusTransport {
  const link = new NatsLink({
    url: config.NATS_URL,
    namespace: config.NATS_NAMESPACE,
    name: `cleave-${config.MODULES.join('+')}-${process.pid}`,
    timeoutMs: config.BUS_TIMEOUT_MS,
  });
  const client = new NatsClient(link, config.BUS_TIMEOUT_MS);
  const server = new NatsServer(link, observer, {
    maxDeliver: config.NATS_MAX_DELIVER,
    ackWaitMs: config.NATS_ACK_WAIT_MS,
    backoff: { baseMs: config.OUTBOX_BACKOFF_BASE_MS, maxMs: config.OUTBOX_BACKOFF_MAX_MS },
    broadcastReplayMs: (config.ACCESS_TOKEN_TTL_SECONDS + 60) * 1000,
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
