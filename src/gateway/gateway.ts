import { context, propagation } from '@opentelemetry/api';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import httpProxy from '@fastify/http-proxy';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from '../shared/config/config';
import { ServiceUnavailable } from '../shared/http/domain-error';
import { sendProblem } from '../shared/http/problem.filter';
import { Breakers } from '../shared/resilience/breakers';

/** Which module serves which part of the API. */
export const MODULE_ROUTES = {
  auth: '/api/auth',
  user: '/api/users',
  order: '/api/orders',
} as const;

/**
 * The single entry point of the split shape (MODULES=gateway): `/api/<module>/…` goes to the
 * module's upstream through `@fastify/http-proxy`, with the request id passed on (and
 * `traceparent`, like every other header), a timeout per request, and a circuit breaker per
 * upstream. An upstream that is down, times out or whose breaker is open answers 503
 * problem+json at once.
 */
export async function mountGateway(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const breakers = app.get(Breakers);
  const upstreams = config.GATEWAY_UPSTREAMS ?? {};
  for (const module of ['auth', 'user', 'order'] as const) {
    const upstream = upstreams[module];
    if (!upstream) continue;
    const prefix = MODULE_ROUTES[module];
    const what = `The ${module} service`;
    await app.register(async (scope: FastifyInstance) => {
      // Errors at the edge (a body too large or malformed) are problem+json like everywhere.
      scope.setErrorHandler((error, request, reply) => sendProblem(error, request, reply));
      await scope.register(httpProxy, {
        upstream,
        prefix,
        rewritePrefix: prefix,
        // Bodies are read here, with the same 1 MiB limit and JSON rules as the modules: a body
        // too large or malformed is answered at the edge and never streamed half-way upstream.
        proxyPayloads: false,
        replyOptions: {
          timeout: config.GATEWAY_TIMEOUT_MS,
          rewriteRequestHeaders: (request, headers) => forwardHeaders(headers, request.id),
        },
        handler: (request, reply, dest, options) => {
          breakers
            .run(
              `gateway.${module}`,
              what,
              () =>
                new Promise<void>((resolve, reject) => {
                  reply.from(dest, {
                    ...options,
                    onResponse: (_request, _reply, res) => {
                      void reply.send(res.stream);
                      const status = res.statusCode ?? 200;
                      if (status === 502 || status === 504)
                        reject(new Error(`${module} answered ${status}`));
                      else resolve();
                    },
                    onError: (_reply, { error }) => reject(error),
                  });
                }),
            )
            .catch(() => {
              if (!reply.sent) sendProblem(new ServiceUnavailable(what), request, reply);
            });
          return reply;
        },
      });
    });
  }
}

/**
 * The whole API's OpenAPI document, as committed (`npm run openapi` writes it and a test keeps
 * it in step with the code): the gateway loads no module, so it cannot build it itself.
 */
export function committedOpenApi(): OpenAPIObject {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'openapi.json');
    if (existsSync(join(dir, 'package.json')) && existsSync(file)) {
      return JSON.parse(readFileSync(file, 'utf8')) as OpenAPIObject;
    }
    if (dirname(dir) === dir) throw new Error('openapi.json not found next to package.json');
  }
}

/**
 * The headers a proxied request carries upstream: the client's, with our request id. When
 * this process traces, the outgoing request's own span context replaces the client's
 * `traceparent` (the HTTP client instrumentation sets it); otherwise the client's passes on.
 */
function forwardHeaders(
  headers: Record<string, string | string[] | undefined>,
  requestId: string,
): Record<string, string | string[] | undefined> {
  const forwarded: Record<string, string | string[] | undefined> = {
    ...headers,
    'x-request-id': requestId,
  };
  const traced: Record<string, string> = {};
  propagation.inject(context.active(), traced);
  if (traced.traceparent) {
    delete forwarded.traceparent;
    delete forwarded.tracestate;
  }
  return forwarded;
}
