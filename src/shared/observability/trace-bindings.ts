import { context, INVALID_TRACEID, trace } from '@opentelemetry/api';

/**
 * The trace and span id of the active span (none outside a valid one): bound to a logging context (a
 * request's, a bus message's, an event's publication by the relay) when it opens, so that every
 * line written in it carries them: the ids of the span the context belongs to (a line written
 * inside a client span within it, a bus request's, carries its request's or message's span id).
 * Bound once, as pino's child bindings (serialised when the child is made), rather than looked up
 * and serialised for every line by a mixin.
 */
export function traceBindings(): { traceId: string; spanId: string } | undefined {
  const ids = trace.getSpan(context.active())?.spanContext();
  // The API's no-op tracer's span outside any trace has all-zero ids: nothing to bind.
  if (!ids || ids.traceId === INVALID_TRACEID) return undefined;
  return { traceId: ids.traceId, spanId: ids.spanId };
}
