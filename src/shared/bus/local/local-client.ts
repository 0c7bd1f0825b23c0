import { Logger } from '@nestjs/common';
import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import type { WireMessage } from '../bus-handler';
import type { LocalBroker } from './local-broker';
import type { Broadcasting } from '../transport-types';

/**
 * The client half of the in-process transport; messages (a `WireMessage`: data and headers, as
 * `Bus` builds them) cross as JSON text.
 */
export class LocalClient extends ClientProxy implements Broadcasting {
  private readonly log = new Logger('LocalBus');

  constructor(private readonly broker: LocalBroker) {
    super();
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}

  unwrap<T>(): T {
    return this.broker as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const pattern = this.normalizePattern(packet.pattern as string);
    let cancelled = false;
    // The reply whole (answer or error, and its envelope): `Bus` reads it.
    this.broker
      .request(pattern, JSON.stringify(packet.data as WireMessage))
      .then((reply) => {
        if (!cancelled) callback({ response: reply, isDisposed: true });
      })
      .catch((err: unknown) => {
        if (!cancelled) callback({ err, isDisposed: true });
      });
    return () => {
      cancelled = true;
    };
  }

  /** One process: a broadcast reaches its handlers here, as an event does. */
  broadcast(pattern: string, message: WireMessage): Promise<void> {
    return this.broker.event(pattern, JSON.stringify(message));
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const pattern = this.normalizePattern(packet.pattern as string);
    await this.broker
      .event(pattern, JSON.stringify(packet.data as WireMessage))
      .catch((err: unknown) => {
        this.log.error(`event ${pattern} was not delivered: ${String(err)}`);
        throw err;
      });
    return undefined as T;
  }
}
