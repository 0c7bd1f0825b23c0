import type { WireMessage } from '../bus-handler';
import type { WireReply } from '../reading';
import type { LocalBroker } from './local-broker';
import type { BusClient } from '../transport-types';

/** The bus timeout passed: the handler did not answer in time. */
export class LocalRequestTimeout extends Error {
  override readonly name = 'LocalRequestTimeout';
}

/**
 * The client half of the in-process transport; messages (a `WireMessage`: data and headers, as
 * `Bus` builds them) cross as JSON text, as they would on a network.
 */
export class LocalClient implements BusClient {
  constructor(
    private readonly broker: LocalBroker,
    private readonly timeoutMs: number,
  ) {}

  request(pattern: string, message: WireMessage): Promise<WireReply> {
    const reply = this.broker.request(pattern, JSON.stringify(message));
    return new Promise<WireReply>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new LocalRequestTimeout(`no reply to ${pattern} within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      reply.then(
        (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Resolves once every handler of the event is done; rejects if any failed. */
  event(pattern: string, message: WireMessage): Promise<void> {
    return this.broker.event(pattern, JSON.stringify(message));
  }

  /** One process: a broadcast reaches its handlers here, as an event does. */
  broadcast(pattern: string, message: WireMessage): Promise<void> {
    return this.event(pattern, message);
  }
}
