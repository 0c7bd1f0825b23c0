import { context, propagation } from '@opentelemetry/api';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import httpProxy from '@fastify/http-proxy';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { GatewayConfig } from '../config/app-config';
import { ServiceUnavailable } from '../kernel/domain-error';
import { sendProblem } from '../http/problem.filter';
import { BUSINESS_MODULES, MODULE_REGISTRY } from '../modules/registry';
import { Breakers } from '../resilience/breakers';

/**
 * The single entry point of the split shape (MODULES=gateway): `/api/<module>/…` goes to the
 * module's upstream through `@fastify/http-proxy`, with the request id passed on (and
 * `traceparent`, like every other header), a timeout per request, and a circuit breaker per
 * upstream. An upstream that is down, times out or whose breaker is open answers 503
 * problem+json at once.
 */
export async function mountGateway(
  app: NestFastifyApplication,
  config: GatewayConfig,
): Promise<void> {
  const breakers = app.get(Breakers);
  for (const module of BUSINESS_MODULES) {
    const upstream = config.upstreams[module];
    if (!upstream) continue;
    const prefix = MODULE_REGISTRY[module].routePrefix;
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
          timeout: config.timeoutMs,
          rewriteRequestHeaders: (request, headers) => forwardHeaders(headers, request),
          rewriteHeaders: (headers) => withoutHopByHop(headers),
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
                        reject(new UpstreamAnswered(module, status));
                      else resolve();
                    },
                    onError: (_reply, { error }) => reject(error),
                  });
                }),
              isUpstreamFailure,
            )
            .catch((error: unknown) => {
              if (reply.sent) return;
              // The upstream down, slow or failing fast is a 503; anything else is a bug here
              // (a logged 500), never blamed on the module or counted against its breaker.
              const down = isUpstreamFailure(error) || error instanceof ServiceUnavailable;
              sendProblem(down ? new ServiceUnavailable(what) : error, request, reply);
            });
          return reply;
        },
      });
    });
  }
}

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

/**
 * An upstream answer's headers without the hop-by-hop ones: the upstream's `connection:
 * keep-alive` must not override the client's own `Connection: close` to the gateway.
 */
function withoutHopByHop<T extends Record<string, unknown>>(headers: T): T {
  const connection = headers.connection;
  const named =
    typeof connection === 'string'
      ? connection
          .toLowerCase()
          .split(',')
          .map((h) => h.trim())
      : [];
  // One pass over the headers: this runs for every proxied answer. Own names only, into an
  // object without a prototype (a header named `__proto__` stays a header).
  const kept: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && !named.includes(lower)) kept[name] = headers[name];
  }
  return kept as T;
}

/** An upstream's own answer that means it could not serve (a gateway of its own failed). */
class UpstreamAnswered extends Error {
  constructor(module: string, status: number) {
    super(`${module} answered ${status}`);
  }
}

/** What @fastify/reply-from reports when the upstream cannot be reached or does not answer. */
const UPSTREAM_DOWN = new Set([
  'FST_REPLY_FROM_SERVICE_UNAVAILABLE',
  'FST_REPLY_FROM_TIMEOUT',
  'FST_REPLY_FROM_HTTP_REQUEST_TIMEOUT',
  'FST_REPLY_FROM_GATEWAY_TIMEOUT',
  'FST_REPLY_FROM_BAD_GATEWAY',
  'ECONNRESET',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Connection failures reply-from passes on as a generic error, by their cause. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Whether a proxied call failed because of the upstream (counted by its breaker). */
function isUpstreamFailure(error: unknown): boolean {
  if (error instanceof UpstreamAnswered) return true;
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  if (typeof e?.code === 'string' && UPSTREAM_DOWN.has(e.code)) return true;
  return typeof e?.cause?.code === 'string' && CONNECT_FAILURES.has(e.cause.code);
}

/**
 * The whole API's OpenAPI document, as committed (`npm run openapi` writes it and a test keeps
 * it in step with the code): the gateway loads no module, so it cannot build it itself.
 */
export function committedOpenApi(): OpenAPIObject {
  return JSON.parse(readFileSync(besidePackageJson('openapi.json'), 'utf8')) as OpenAPIObject;
}

/** The application's version, as its package.json says. */
export function packageVersion(): string {
  const { version } = JSON.parse(readFileSync(besidePackageJson('package.json'), 'utf8')) as {
    version: string;
  };
  return version;
}

/** A file in the application's root: the nearest folder above this one with a package.json. */
function besidePackageJson(name: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, name)))
      return join(dir, name);
    if (dirname(dir) === dir) throw new Error(`${name} not found next to package.json`);
  }
}

/**
 * The headers a proxied request carries upstream: the client's, with our request id and the
 * client's address. When
 * this process traces, the outgoing request's own span context replaces the client's
 * `traceparent` (the HTTP client instrumentation sets it); otherwise the client's passes on.
 */
function forwardHeaders(
  headers: Record<string, string | string[] | undefined>,
  request: { id: string; ip: string },
): Record<string, string | string[] | undefined> {
  const forwarded: Record<string, string | string[] | undefined> = {
    ...headers,
    'x-request-id': request.id,
    // The client's address as this process sees it (TRUST_PROXY applies here), replacing what
    // the client sent: a module trusts the gateway (TRUST_PROXY) and limits by this address.
    'x-forwarded-for': request.ip,
  };
  const traced: Record<string, string> = {};
  propagation.inject(context.active(), traced);
  if (traced.traceparent) {
    delete forwarded.traceparent;
    delete forwarded.tracestate;
  }
  return forwarded;
}
