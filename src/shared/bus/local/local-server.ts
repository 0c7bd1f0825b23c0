import { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import type { WireReply } from '../reading';
import type { HandlerObserver } from '../../observability/metrics';
import { contractOf, reasonOf, runHandler } from '../bus-handler';
import { answerToUnreadable, isParked } from '../parking';
import { attributesOf } from '../reading';
import { BusServer } from '../bus-server';
import type { BusEvent } from '../bus-event';
import type { LocalBroker, LocalEndpoint } from './local-broker';

/** The server half of the in-process transport: dispatches to `@MessagePattern`/`@EventPattern`. */
export class LocalServer extends BusServer implements LocalEndpoint {
  private readonly log = new Logger('LocalBus');
  private readonly eventHandlers = new Map<string, MessageHandler[]>();
  /** Event id → the handlers that already succeeded for it, while another has not. */
  private readonly handledBefore = new Map<string, Set<MessageHandler>>();
  constructor(
    private readonly broker: LocalBroker,
    observer: HandlerObserver,
  ) {
    super(observer);
  }

  listen(callback: () => void): void {
    this.broker.attach(this);
    callback();
  }

  close(): void {
    this.broker.detach(this);
  }

  on(): never {
    throw new Error('The local transport has no events to listen to.');
  }

  unwrap<T>(): T {
    return this.broker as T;
  }

  /**
   * Patterns arrive already normalised by the client, so look them up directly: Nest's
   * `getHandlerByPattern` first tries `JSON.parse` on every pattern and throws for plain strings.
   */
  private handlerFor(pattern: string): MessageHandler | undefined {
    return this.messageHandlers.get(pattern) ?? this.getHandlerByPattern(pattern) ?? undefined;
  }

  async request(pattern: string, wire: string): Promise<WireReply> {
    const handler = this.handlerFor(pattern);
    if (!handler || handler.isEventHandler) {
      return { err: `There is no message handler for ${pattern}.` };
    }
    try {
      const response = await runHandler(handler, pattern, wire, {
        kind: 'request',
        observer: this.observer,
      });
      return {
        response: roundTrip(response),
        ce: attributesOf(contractOf(handler), { type: `${pattern}.reply` }),
      };
    } catch (err) {
      if (isParked(err)) {
        this.log.warn(`request ${pattern} set aside unread: ${err.message}`);
        return { err: answerToUnreadable(pattern, err) };
      }
      return { err: roundTrip(err) };
    }
  }

  protected addEventHandler(pattern: string, handler: MessageHandler): void {
    this.eventHandlers.set(pattern, [...(this.eventHandlers.get(pattern) ?? []), handler]);
  }

  /**
   * Runs the event's handlers; rejects when any failed, so the outbox relay delivers it again
   * later (`retry.ts`). Handlers that succeeded are remembered by event id and skipped on that
   * redelivery: each handler retries on its own, as a durable consumer does on NATS.
   */
  async event(pattern: string, wire: string): Promise<void> {
    const handlers = this.eventHandlers.get(pattern) ?? [];
    if (handlers.length === 0) {
      this.log.debug(`no handler for event ${pattern}`);
      return;
    }
    // Only a redelivery after a failure has handlers to skip: the event's text is read for its id
    // when one is remembered, or when a handler fails.
    const remembered = this.handledBefore.size > 0 ? idOf(wire) : undefined;
    const done = (remembered && this.handledBefore.get(remembered)) || new Set<MessageHandler>();
    const due = handlers.filter((handler) => !done.has(handler));
    const results = await Promise.allSettled(
      due.map((handler) =>
        runHandler(handler, pattern, wire, {
          kind: 'event',
          consumer: handler.extras?.consumer as string | undefined,
          observer: this.observer,
        }).then(
          () => done.add(handler),
          (error: unknown) => {
            // Unreadable: set aside (counted by the observer), never delivered again.
            if (!isParked(error)) throw error;
            this.log.error(`event ${pattern} set aside unread: ${error.message}`);
            done.add(handler);
          },
        ),
      ),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === 0) {
      if (remembered) this.handledBefore.delete(remembered);
      return;
    }
    const id = remembered ?? idOf(wire);
    if (id) this.remember(id, done);
    throw new Error(
      `${failed.length} of ${handlers.length} handlers of ${pattern} failed: ${reasonOf(failed[0]?.reason)}`,
    );
  }

  /** Bounded: past the limit the oldest are forgotten (their handlers are idempotent). */
  private remember(eventId: string, done: Set<MessageHandler>): void {
    this.handledBefore.delete(eventId);
    this.handledBefore.set(eventId, done);
    if (this.handledBefore.size > MAX_REMEMBERED)
      this.handledBefore.delete(this.handledBefore.keys().next().value!);
  }
}

/** Events with a failed handler whose other handlers' success is remembered. */
const MAX_REMEMBERED = 10_000;

/** The event id in a message's text, when it has one: which handlers already succeeded for it. */
function idOf(wire: string): string | undefined {
  try {
    const id = (JSON.parse(wire) as { data?: Partial<BusEvent> } | null)?.data?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Replies are serialised as they would be on the wire. */
function roundTrip(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
