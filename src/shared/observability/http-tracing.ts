import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  type Span,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { isProbe } from './probes';

const tracer = trace.getTracer('cleave-http');

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The request handler of a tracing process (wrapped around Fastify's): every request runs in a
 * SERVER span that continues the caller's W3C trace context, so that everything it causes
 * (bus messages, queries, log lines) belongs to its trace. Fastify names the span by route
 * template once routed (`nameServerSpan`); the span ends with the response, carrying its status.
 * The response's listeners are not bound to the span's context (binding an emitter wraps every
 * listener added to it, per request): the request line is written by the logger bound to the
 * trace ids on arrival (`logRequests`).
 *
 * This stands in for `@opentelemetry/instrumentation-http` on the incoming side: that
 * instrumentation cost a third of the throughput of `GET /api/users/me` here (`npm run bench`),
 * this a small fraction of it.
 */
export function traceRequests(handler: Handler): Handler {
  return (request, response) => {
    if (isProbe(request.url)) return handler(request, response);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const method = request.method ?? 'GET';
    const span = tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    // A trace that is not sampled records nothing: its span has no status to set, nothing to end.
    if (span.isRecording()) endWithResponse(span, response);
    context.with(active, () => handler(request, response));
  };
}

/** Ends `span` when `response` closes, with its status (an error for 5xx or a cut connection). */
function endWithResponse(span: Span, response: ServerResponse): void {
  response.once('close', () => {
    const status = response.statusCode;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500 || !response.writableFinished) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: response.writableFinished ? `status ${status}` : 'connection closed early',
      });
    }
    span.end();
  });
}

/** Names the active SERVER span by the route template, never the raw path. */
export function nameServerSpan(method: string, route: string): void {
  trace
    .getSpan(context.active())
    ?.updateName(`${method} ${route}`)
    .setAttribute('http.route', route);
}
