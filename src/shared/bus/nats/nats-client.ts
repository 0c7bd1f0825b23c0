import type { BusEvent } from '../bus-event';
import type { WireMessage } from '../bus-handler';
import { ATTRIBUTE_HEADERS, type WireReply } from '../reading';
import type { NatsLink } from './nats-link';
import type { BusClient } from '../transport-types';

/**
 * The client half of the NATS transport. Requests are NATS request/reply to a queue group
 * (replicas share them; no responder fails at once); events are published to JetStream with
 * the event id as `Nats-Msg-Id`, and resolve once the stream stored them.
 */
export class NatsClient implements BusClient {
  constructor(
    private readonly link: NatsLink,
    private readonly timeoutMs: number,
  ) {}

  async request(pattern: string, message: WireMessage): Promise<WireReply> {
    const nc = await this.link.connection();
    const reply = await nc.request(this.link.names.rpc(pattern), JSON.stringify(message), {
      timeout: this.timeoutMs,
    });
    return reply.json<WireReply>();
  }

  /**
   * Core NATS publish on `<namespace>.broadcast.<pattern>`, which every process subscribes to
   * without a queue group, and stored in the stream (de-duplicated by its `ce-id`), from which a
   * process that starts later replays it. Resolves once both are done.
   */
  async broadcast(pattern: string, message: WireMessage): Promise<void> {
    const nc = await this.link.connection();
    const text = JSON.stringify(message);
    nc.publish(this.link.names.broadcast(pattern), text);
    const { js } = await this.link.jetstream();
    await Promise.all([
      nc.flush(),
      js.publish(this.link.names.event(pattern), text, {
        msgID: message.headers?.[ATTRIBUTE_HEADERS.id],
      }),
    ]);
  }

  /** Stored in the event stream, de-duplicated by the event id; resolves with JetStream's ack. */
  async event(pattern: string, message: WireMessage): Promise<unknown> {
    const { js } = await this.link.jetstream();
    return js.publish(this.link.names.event(pattern), JSON.stringify(message), {
      msgID: (message.data as BusEvent).id,
    });
  }

  /**
   * Resolves once every consumer of the event's subject has acknowledged it (its ack floor
   * reached the event's stream sequence), or false after `timeoutMs`. Publishing only means
   * JetStream stored the event; this is what "its handlers are done" means on NATS.
   */
  async awaitHandled(type: string, receipt: unknown, timeoutMs: number): Promise<boolean> {
    const seq = (receipt as { seq?: number } | undefined)?.seq;
    if (!seq) return true;
    const deadline = Date.now() + timeoutMs;
    const { jsm } = await this.link.jetstream();
    const stream = this.link.names.eventStream;
    const subject = this.link.names.event(type);
    const consumers: string[] = [];
    for await (const info of jsm.consumers.list(stream)) {
      if (info.config.filter_subject === subject) consumers.push(info.name);
    }
    for (;;) {
      const infos = await Promise.all(consumers.map((name) => jsm.consumers.info(stream, name)));
      if (infos.every((info) => info.ack_floor.stream_seq >= seq)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
