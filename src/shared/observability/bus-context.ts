import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
} from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { PinoLogger } from 'nestjs-pino';
import { isTracing } from './tracing-state';
import { traceBindings } from './trace-bindings';

/** Headers a bus message carries: W3C `traceparent`/`tracestate` and the request id. */
export type BusHeaders = Record<string, string>;

export const REQUEST_ID_HEADER = 'x-request-id';

const tracer = trace.getTracer('cleave-bus');

let contextLogger: PinoLogger | undefined;

/**
 * nestjs-pino's view of the logging context (the request's, or a bus message's): undefined until
 * the application's logger exists, then one instance over the process' one root logger.
 */
function logging(): PinoLogger | undefined {
  if (!PinoLogger.root) return undefined;
  contextLogger ??= new PinoLogger({});
  return contextLogger;
}

/**
 * The request id each logger was made with: pino's `bindings()` parses the logger's serialised
 * bindings on every call, and every bus message sent asks.
 */
const requestIds = new WeakMap<object, string | undefined>();

/** The id of the request being served here (HTTP or bus), if any. */
export function currentRequestId(): string | undefined {
  const logger = logging()?.logger;
  if (!logger) return undefined;
  if (requestIds.has(logger)) return requestIds.get(logger);
  const id = logger.bindings().requestId as unknown;
  const requestId = typeof id === 'string' ? id : undefined;
  requestIds.set(logger, requestId);
  return requestId;
}

/**
 * The context a message sent now should carry: the active trace context and request id.
 * Events capture it when they are created, so that the relay, which publishes them later and
 * elsewhere, continues the trace of the request that caused them.
 */
export function currentHeaders(): BusHeaders {
  const headers: BusHeaders = {};
  propagation.inject(context.active(), headers);
  const requestId = currentRequestId();
  if (requestId) headers[REQUEST_ID_HEADER] = requestId;
  return headers;
}

/**
 * Runs `fn` in a span of its own (a child of `parent`), marking it failed when `fn` throws. Only
 * in a process that traces: elsewhere the API's no-op tracer and propagator would still make a
 * span object and contexts per message, for nothing (no span is recorded, no context propagated).
 */
function inSpan<T>(
  name: string,
  kind: SpanKind,
  destination: string,
  parent: Context,
  fn: () => Promise<T>,
): Promise<T> {
  const attributes = {
    'messaging.system': 'cleave-bus',
    'messaging.destination.name': destination,
  };
  return tracer.startActiveSpan(name, { kind, attributes }, parent, async (span) => {
    try {
      return await fn();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: reasonOf(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `send` in a client span (`PRODUCER` for events) that is a child of `parent` (default:
 * the active context), handing it the headers to put on the message.
 */
export function sendTraced<T>(
  name: string,
  kind: 'request' | 'event',
  send: (headers: BusHeaders) => Promise<T>,
  parent?: BusHeaders,
): Promise<T> {
  const requestId = parent ? parent[REQUEST_ID_HEADER] : currentRequestId();
  const sendInContext = () => {
    const headers: BusHeaders = {};
    if (isTracing()) propagation.inject(context.active(), headers);
    if (requestId) headers[REQUEST_ID_HEADER] = requestId;
    // Sent on behalf of an earlier request (the relay publishing a stored event): what is logged
    // meanwhile (the local transport's handlers, an event set aside) carries that request's id
    // and trace, not the background's nothing.
    const log = parent && logging();
    if (!log) return send(headers);
    return log.runInContext(() => send(headers), {
      bindings: { ...(requestId && { requestId }), ...traceBindings() },
    });
  };
  if (!isTracing()) return sendInContext();
  const parentContext = parent ? propagation.extract(ROOT_CONTEXT, parent) : context.active();
  const [suffix, spanKind] =
    kind === 'request' ? ['request', SpanKind.CLIENT] : ['publish', SpanKind.PRODUCER];
  return inSpan(`${name} ${suffix}`, spanKind, name, parentContext, sendInContext);
}

/**
 * Runs a handler for a received message: in a server (or consumer) span that continues the
 * sender's trace, with a logger bound to the sender's request id, so every line the handler
 * writes carries the same request id and trace id as the request that caused it. Writes one
 * line per message (the bus' access log) and tells `done` how it went and how long it took.
 */
export function receiveTraced<T>(
  name: string,
  kind: 'request' | 'event',
  module: string,
  headers: BusHeaders,
  handle: () => Promise<T>,
  done: (outcome: 'ok' | 'error', seconds: number) => void = () => undefined,
): Promise<T> {
  const run = async (): Promise<T> => {
    const started = performance.now();
    let failure: string | undefined;
    try {
      return await handle();
    } catch (error) {
      failure = reasonOf(error);
      throw error;
    } finally {
      const ms = performance.now() - started;
      const line = { kind, pattern: name, ms: Math.round(ms) };
      const log = logging()?.logger;
      if (failure === undefined) log?.info(line, 'bus message');
      else log?.warn({ ...line, error: failure }, 'bus message failed');
      done(failure === undefined ? 'ok' : 'error', ms / 1000);
    }
  };
  const requestId = headers[REQUEST_ID_HEADER];
  const runInContext = () => {
    const log = logging();
    if (!log) return run();
    return log.runInContext(run, {
      bindings: { ...(requestId && { requestId }), module, ...traceBindings() },
    });
  };
  if (!isTracing()) return runInContext();
  // The logging context opens inside the span, so that its lines carry the trace and span id.
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const [suffix, spanKind] =
    kind === 'request' ? ['handle', SpanKind.SERVER] : ['process', SpanKind.CONSUMER];
  return inSpan(`${name} ${suffix}`, spanKind, name, parent, runInContext);
}

/**
 * Runs `fn` outside the request that happens to be current: no trace, no request id. For
 * background work a request merely wakes (the outbox relay), which must not be attributed to
 * that request, nor keep its context alive in the timers it sets.
 */
export function inBackground<T>(fn: () => T): T {
  const outside = () => context.with(ROOT_CONTEXT, fn);
  return logging()?.runInContext(outside) ?? outside();
}

/** A failure in one line, for logs, spans and dead letters (never a stack). */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'unknown error';
}
