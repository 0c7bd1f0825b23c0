import { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { headers, type Subscription } from '@nats-io/transport-node';
import type { HandlerObserver } from '../../observability/metrics';
import { contractOf, reasonOf, runHandler } from '../bus-handler';
import { attributesOf, decodeWire, eventKeyOf, type WireMessage } from '../reading';
import { answerToUnreadable, isParked } from '../parking';
import { BusServer } from '../bus-server';
import { type RetryBackoff, retryDelayMs } from '../retry';
import type { ConsumerLag } from '../transport-types';
import { KeyedLanes } from '../keyed-lanes';
import type { NatsLink } from './nats-link';

/** Events a durable consumer holds at once: fetched ahead, and handled in parallel by key. */
const IN_HAND = 64;

export interface NatsServerOptions {
  /** Deliveries of one event to one consumer before it goes to the dead-letter subject. */
  maxDeliver: number;
  /** How long a delivery may stay unacknowledged before JetStream redelivers it. */
  ackWaitMs: number;
  /** Redelivery after a failure: `retry.ts`'s rule. */
  backoff: RetryBackoff;
  /**
   * How far back a starting process replays the broadcasts the stream kept (the sessions
   * revoked while it was away): as long as what they say matters (an access token's lifetime).
   */
  broadcastReplayMs: number;
}

interface EventConsumer {
  pattern: string;
  name: string;
  handler: MessageHandler;
}

/**
 * The server half of the NATS transport. `@MessagePattern` handlers answer requests in a queue
 * group per pattern, so replicas share them. Each `@EventPattern` handler is a durable
 * JetStream consumer named by its `consumer` extra: replicas share its work, a message is
 * acknowledged only after the handler (and so its transaction) succeeded, failures are
 * redelivered with backoff, and after `maxDeliver` deliveries the message is copied to
 * `cleave.deadletter.<consumer>` (kept, listable and replayable) and terminated.
 */
export class NatsServer extends BusServer {
  private readonly log = new Logger('NatsBus');
  private readonly consumers: EventConsumer[] = [];
  /**
   * Broadcast handlers: every process hears every broadcast. Live from the core subject (no
   * queue group), and, since the stream keeps them too, replayed at start from the stream.
   */
  private readonly broadcasts: Array<{ pattern: string; handler: MessageHandler }> = [];
  /** Per broadcast pattern: resolves once what the stream kept has been replayed here. */
  private readonly replays = new Map<string, Promise<void>>();
  private readonly subscriptions: Subscription[] = [];
  private readonly loops: Array<{ stop(): void; done: Promise<void> }> = [];
  constructor(
    private readonly link: NatsLink,
    observer: HandlerObserver,
    private readonly options: NatsServerOptions,
  ) {
    super(observer);
  }

  protected addEventHandler(
    pattern: string,
    handler: MessageHandler,
    extras: Record<string, unknown>,
  ): void {
    if (extras.broadcast === true) {
      this.broadcasts.push({ pattern, handler });
      return;
    }
    const name = extras.consumer;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new Error(
        `the event handler of ${pattern} needs a durable consumer name: @EventPattern(pattern, { consumer })`,
      );
    }
    if (this.consumers.some((c) => c.name === name))
      throw new Error(`two event handlers are named ${name}`);
    this.consumers.push({ pattern, name, handler });
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  private async start(): Promise<void> {
    const nc = await this.link.connection();
    for (const [pattern, handler] of this.messageHandlers) {
      if (handler.isEventHandler) continue;
      const subject = this.link.names.rpc(pattern);
      this.subscriptions.push(
        nc.subscribe(subject, {
          queue: subject,
          callback: (err, msg) => {
            if (err) return;
            void this.answer(handler, pattern, msg.string()).then((reply) => msg.respond(reply));
          },
        }),
      );
    }
    for (const { pattern, handler } of this.broadcasts) {
      this.subscriptions.push(
        nc.subscribe(this.link.names.broadcast(pattern), {
          callback: (err, msg) => {
            if (err) return;
            void runHandler(handler, pattern, msg.string(), {
              kind: 'event',
              observer: this.observer,
            }).catch((error: unknown) =>
              this.log.warn(
                `broadcast ${pattern} ${isParked(error) ? 'set aside unread' : 'failed here'}: ${reasonOf(error)}`,
              ),
            );
          },
        }),
      );
    }
    for (const { pattern, handler } of this.broadcasts) {
      this.replays.set(pattern, (await this.replayBroadcasts(pattern, handler)).replayed);
    }
    const { js, jsm } = await this.link.jetstream();
    for (const consumer of this.consumers) {
      const config = {
        durable_name: this.link.names.consumer(consumer.name),
        filter_subject: this.link.names.event(consumer.pattern),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: this.options.ackWaitMs * 1e6,
        // Unlimited here: this server counts deliveries and dead-letters, so nothing is dropped
        // silently even when a poison message keeps crashing the process.
        max_deliver: -1,
      };
      try {
        await jsm.consumers.info(this.link.names.eventStream, config.durable_name);
        await jsm.consumers.update(this.link.names.eventStream, config.durable_name, {
          ack_wait: config.ack_wait,
        });
      } catch {
        await jsm.consumers.add(this.link.names.eventStream, config);
      }
      const messages = await (
        await js.consumers.get(this.link.names.eventStream, config.durable_name)
      ).consume({
        max_messages: IN_HAND,
      });
      // Several events in hand at once, so that handlers can group their writes (`Batcher`);
      // those about one aggregate still one after another, in the stream's order.
      const lanes = new KeyedLanes(IN_HAND);
      const done = (async () => {
        for await (const msg of messages) {
          // Read once: for its lane here, and by the handler's run.
          const wire = readOrText(msg);
          const key = typeof wire === 'string' ? undefined : eventKeyOf(wire);
          await lanes.add(key, () => this.deliver(consumer, msg, wire));
        }
        await lanes.idle();
      })();
      this.loops.push({ stop: () => void messages.stop(), done });
    }
  }

  /**
   * An ordered consumer of this process' own over the broadcasts the stream kept for
   * `broadcastReplayMs`, and every one stored after: this process learns what was broadcast
   * while it was away without asking the module that broadcast it (which may be down).
   * `replayed` settles once the replay reached the end of what was stored.
   */
  private async replayBroadcasts(
    pattern: string,
    handler: MessageHandler,
  ): Promise<{ replayed: Promise<void> }> {
    const { js } = await this.link.jetstream();
    const consumer = await js.consumers.get(this.link.names.eventStream, {
      filter_subjects: this.link.names.event(pattern),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(Date.now() - this.options.broadcastReplayMs).toISOString(),
    });
    let caughtUp!: () => void;
    const replayed = new Promise<void>((resolve) => (caughtUp = resolve));
    if ((await consumer.info()).num_pending === 0) caughtUp();
    const messages = await consumer.consume();
    const done = (async () => {
      for await (const msg of messages) {
        await runHandler(handler, pattern, msg.string(), {
          kind: 'event',
          observer: this.observer,
        }).catch((error: unknown) =>
          this.log.warn(`stored broadcast ${pattern} not applied here: ${reasonOf(error)}`),
        );
        if (msg.info.pending === 0) caughtUp();
      }
    })();
    this.loops.push({ stop: () => void messages.stop(), done });
    return { replayed };
  }

  /** Whether the broadcasts of `pattern` the stream kept have been replayed here. */
  async broadcastsReplayed(pattern: string): Promise<boolean> {
    const replay = this.replays.get(pattern);
    if (!replay) return false;
    await replay;
    return true;
  }

  private async answer(handler: MessageHandler, pattern: string, wire: string): Promise<string> {
    try {
      const response = await runHandler(handler, pattern, wire, {
        kind: 'request',
        observer: this.observer,
      });
      return JSON.stringify({
        response,
        ce: attributesOf(contractOf(handler), { type: `${pattern}.reply` }),
      });
    } catch (err) {
      if (isParked(err)) {
        this.log.warn(`request ${pattern} set aside unread: ${err.message}`);
        return JSON.stringify({ err: answerToUnreadable(pattern, err) });
      }
      return JSON.stringify({ err });
    }
  }

  /**
   * One delivery (`wire`: the message read, or its text when it could not be): ack after success,
   * redeliver later after a failure, dead-letter at the limit.
   */
  private async deliver(
    consumer: EventConsumer,
    msg: JsMsg,
    wire: WireMessage | string,
  ): Promise<void> {
    const attempt = msg.info.deliveryCount;
    if (attempt > this.options.maxDeliver) {
      await this.deadLetter(
        consumer,
        msg,
        `delivered ${attempt - 1} times without an acknowledgement`,
      );
      return;
    }
    try {
      await runHandler(consumer.handler, consumer.pattern, wire, {
        kind: 'event',
        consumer: consumer.name,
        observer: this.observer,
      });
      msg.ack();
    } catch (error) {
      const reason = reasonOf(error);
      // Unreadable: retrying changes nothing, and it must not hold up the events behind it.
      if (isParked(error)) return this.deadLetter(consumer, msg, reason, 'parked');
      if (attempt >= this.options.maxDeliver) {
        await this.deadLetter(consumer, msg, reason);
        return;
      }
      const delay = retryDelayMs(attempt, this.options.backoff);
      this.log.warn(
        `${consumer.name}: ${msg.subject} failed (delivery ${attempt}), again in ${delay} ms: ${reason}`,
      );
      msg.nak(delay);
    }
  }

  /**
   * Sets the message aside for this consumer in the dead-letter stream (listable and replayable
   * with `npm run deadletter`): after its last delivery, or at once when it is unreadable
   * (`parked`: marked so by `Cleave-Parked`).
   */
  private async deadLetter(
    consumer: EventConsumer,
    msg: JsMsg,
    reason: string,
    why: 'exhausted' | 'parked' = 'exhausted',
  ): Promise<void> {
    try {
      const { js } = await this.link.jetstream();
      const h = headers();
      h.set('Cleave-Original-Subject', msg.subject);
      h.set('Cleave-Consumer', consumer.name);
      h.set('Cleave-Error', reason.replace(/[\r\n]+/g, ' ').slice(0, 500));
      if (why === 'parked') h.set('Cleave-Parked', 'true');
      await js.publish(this.link.names.deadLetter(consumer.name), msg.data, {
        headers: h,
        msgID: `${consumer.name}:${msg.info.streamSequence}`,
      });
      this.log.error(
        why === 'parked'
          ? `${consumer.name}: ${msg.subject} set aside unread: ${reason}`
          : `${consumer.name}: ${msg.subject} dead-lettered after ${msg.info.deliveryCount} deliveries: ${reason}`,
      );
      msg.term(reason);
    } catch (error) {
      // Not stored as a dead letter: leave it to be redelivered rather than lose it.
      this.log.error(`${consumer.name}: dead-lettering failed, will retry: ${reasonOf(error)}`);
      msg.nak(this.options.backoff.maxMs);
    }
  }

  /**
   * How far each of this process' durable consumers is behind: messages not yet delivered
   * (`pending`) and delivered but not yet acknowledged (`ackPending`).
   */
  async lag(): Promise<ConsumerLag[]> {
    const { jsm } = await this.link.jetstream();
    return Promise.all(
      this.consumers.map(async ({ name }) => {
        const info = await jsm.consumers.info(
          this.link.names.eventStream,
          this.link.names.consumer(name),
        );
        return { consumer: name, pending: info.num_pending, ackPending: info.num_ack_pending };
      }),
    );
  }

  /** Stops taking messages, lets the ones in hand finish (unacked ones are redelivered). */
  async close(): Promise<void> {
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    const loops = this.loops.splice(0);
    for (const loop of loops) loop.stop();
    await Promise.all(loops.map((l) => l.done.catch(() => undefined)));
  }

  on(): never {
    throw new Error('The NATS transport has no server events to listen to.');
  }

  unwrap<T>(): T {
    return this.link as T;
  }
}

/**
 * An event message's envelope, read; its text when it cannot be read (its handler's run then sets
 * it aside, saying why).
 */
function readOrText(msg: JsMsg): WireMessage | string {
  const text = msg.string();
  try {
    return decodeWire(text);
  } catch {
    return text;
  }
}
