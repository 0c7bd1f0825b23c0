import type { ClientProxy } from '@nestjs/microservices';
import type { WireMessage } from './bus-handler';

/** What a transport's client offers beside Nest's `ClientProxy`. */
export interface Broadcasting {
  /** Sends to every process that handles `pattern` as a broadcast; resolves once sent. */
  broadcast(pattern: string, message: WireMessage): Promise<void>;
}

export type BusClient = ClientProxy & Broadcasting;

/** How far one durable event consumer of this process is behind. */
export interface ConsumerLag {
  consumer: string;
  /** Events stored and not yet delivered to it. */
  pending: number;
  /** Delivered to it and not yet acknowledged. */
  ackPending: number;
}
