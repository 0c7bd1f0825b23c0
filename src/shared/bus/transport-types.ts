import type { WireMessage } from './bus-handler';
import type { WireReply } from './reading';

/**
 * The sending half of a transport, as `Bus` uses it: promises, not Nest's `ClientProxy` and its
 * RxJS pipeline, which cost about a fifth of a local cross-module request's own time.
 */
export interface BusClient {
  /**
   * Sends a request to the one handler of `pattern`; resolves with the reply whole (answer or
   * error, and its envelope) for `Bus` to read; rejects when the path failed or no reply came
   * within the bus timeout.
   */
  request(pattern: string, message: WireMessage): Promise<WireReply>;
  /** Publishes an event; resolves with the transport's receipt once it took it. */
  event(pattern: string, message: WireMessage): Promise<unknown>;
  /** Sends to every process that handles `pattern` as a broadcast; resolves once sent. */
  broadcast(pattern: string, message: WireMessage): Promise<void>;
}

/** How far one durable event consumer of this process is behind. */
export interface ConsumerLag {
  consumer: string;
  /** Events stored and not yet delivered to it. */
  pending: number;
  /** Delivered to it and not yet acknowledged. */
  ackPending: number;
}
