import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import type { HandlerObserver } from '../observability/metrics';

/**
 * What both transports' servers share: `@MessagePattern` handlers are Nest's own; each
 * `@EventPattern` handler is kept apart by the transport (`addEventHandler`) instead of being
 * chained as Nest's base server does, so that each one's completion and failure is seen and it
 * retries on its own (`retry.ts`). `observer` sees every message handled.
 */
export abstract class BusServer extends Server implements CustomTransportStrategy {
  constructor(protected readonly observer: HandlerObserver) {
    super();
  }

  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    if (!isEventHandler) return super.addHandler(pattern, callback, isEventHandler, extras);
    callback.isEventHandler = true;
    callback.extras = extras;
    this.addEventHandler(this.normalizePattern(pattern as string), callback, extras);
  }

  /** Keeps one event handler of `pattern` (already normalised) with its decorator's extras. */
  protected abstract addEventHandler(
    pattern: string,
    handler: MessageHandler,
    extras: Record<string, unknown>,
  ): void;
}
