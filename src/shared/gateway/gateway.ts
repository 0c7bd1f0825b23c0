import { context, propagation } from '@opentelemetry/api';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Pool } from 'undici';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { GatewayConfig } from '../config/app-config';
import { ServiceUnavailable } from '../kernel/domain-error';
import { sendProblem } from '../http/problem.filter';
import { BUSINESS_MODULES, MODULE_REGISTRY } from '../modules/registry';
import { isTracing } from '../observability/tracing-state';
import { Breakers } from '../resilience/breakers';

/**
 * The single entry point of the split shape (MODULES=gateway): `/api/<module>/…` goes to the
 * module's upstream over a keep-alive pool (undici), with the request id passed on (and
 * `traceparent`, like every other header), a timeout per request, and a circuit breaker per
 * upstream. An upstream that is down, times out or whose breaker is open answers 503
 * problem+json at once. Bodies are read whole here, with the modules' 1 MiB limit: a body too
 * large is answered at the edge and never streamed half-way upstream. A JSON body is passed on
 * as its text, unparsed: the module reads it and answers for it (400 for malformed JSON), as it
 * does in one process.
 *
 * The proxy is undici's pool called directly, not `@fastify/http-proxy` (`@fastify/reply-from`):
 * under `POST /api/orders` at 50 connections, this gateway spent 174-196 µs of CPU an order
 * against 195-217 with the plugin (three runs of each, in turns), and the split shape served
 * 3-5 % more orders. (A bare Fastify in front of the order module spent 172 µs with the plugin,
 * 116 calling the pool.)
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
    const proxy = new UpstreamProxy(module, upstream, config.timeoutMs, breakers);
    await app.register((scope: FastifyInstance) => {
      // Errors at the edge (a body too large, a malformed media type) are problem+json like
      // everywhere.
      scope.setErrorHandler((error, request, reply) => sendProblem(error, request, reply));
      // A JSON body goes upstream as the text it came as: the module reads it (its depth, its
      // keys, its fields) and answers for it, so reading it here too would only cost a parse.
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser(
        'application/json',
        { parseAs: 'string' },
        (_request, body, done) => done(null, body === '' ? undefined : body),
      );
      scope.addHook('onClose', () => proxy.close());
      const forward = (request: FastifyRequest, reply: FastifyReply) =>
        proxy.forward(request, reply);
      scope.all(prefix, forward);
      scope.all(`${prefix}/*`, forward);
      return Promise.resolve();
    });
  }
}

/** One module's upstream: requests forwarded as they came, answers passed back as they come. */
class UpstreamProxy {
  private readonly pool: Pool;
  private readonly host: string;
  private readonly breaker: string;
  private readonly what: string;

  constructor(
    private readonly module: string,
    upstream: string,
    private readonly timeoutMs: number,
    private readonly breakers: Breakers,
  ) {
    this.pool = new Pool(upstream, { connections: 128, pipelining: 1 });
    this.host = new URL(upstream).host;
    this.breaker = `gateway.${module}`;
    this.what = `The ${module} service`;
  }

  forward(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    this.breakers
      .run(this.breaker, this.what, () => this.send(request, reply), isUpstreamFailure)
      .catch((error: unknown) => {
        if (reply.sent) return;
        // The upstream down, slow or failing fast is a 503; anything else is a bug here (a
        // logged 500), never blamed on the module or counted against its breaker.
        const down = isUpstreamFailure(error) || error instanceof ServiceUnavailable;
        sendProblem(down ? new ServiceUnavailable(this.what) : error, request, reply);
      });
    return reply;
  }

  /**
   * Resolves once the upstream's answer is passed on: a small one (`WHOLE_ANSWER_BYTES`) read
   * whole first, so that an upstream failing half-way through it is a 503 like any other; a
   * large one, or one of unknown length, streamed as it comes, once its status and headers came.
   */
  private async send(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { headers, body } = outgoing(request, this.host);
    const answer = await this.pool.request({
      method: request.method,
      path: request.url,
      headers,
      body,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const passed = isSmall(answer.headers['content-length'])
      ? await answer.body.bytes().then((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))
      : answer.body;
    // A client gone meanwhile is Fastify's to notice: it discards a stream sent to a closed answer.
    void reply.code(answer.statusCode).headers(withoutHopByHop(answer.headers)).send(passed);
    if (answer.statusCode === 502 || answer.statusCode === 504)
      throw new UpstreamAnswered(this.module, answer.statusCode);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * A request as it goes upstream: the client's headers without the hop-by-hop ones (and those
 * `Connection` names), for the upstream's host, with our request id and the client's address;
 * the body read here, as JSON text again (or the text it was). When this process traces, the
 * outgoing request's own span context replaces the client's `traceparent` (the HTTP client
 * instrumentation sets it); otherwise the client's passes on.
 */
function outgoing(
  request: FastifyRequest,
  host: string,
): { headers: Record<string, string | string[] | undefined>; body?: string } {
  const headers = withoutHopByHop(request.headers) as Record<string, string | string[] | undefined>;
  // Node answered `Expect: 100-continue` itself, and undici refuses to send it.
  delete headers.expect;
  headers.host = host;
  headers['x-request-id'] = request.id;
  // The client's address as this process sees it (TRUST_PROXY applies here), replacing what the
  // client sent: a module trusts the gateway (TRUST_PROXY) and limits by this address.
  headers['x-forwarded-for'] = request.ip;
  if (isTracing()) {
    const traced: Record<string, string> = {};
    propagation.inject(context.active(), traced);
    if (traced.traceparent) {
      delete headers.traceparent;
      delete headers.tracestate;
    }
  }
  const read = request.body;
  if (read === undefined) {
    delete headers['content-length'];
    return { headers };
  }
  // Bodies are text here (the JSON parser above, Fastify's text/plain one); should a parser ever
  // give a value, it goes as JSON.
  const body = typeof read === 'string' ? read : JSON.stringify(read);
  headers['content-length'] = String(Buffer.byteLength(body));
  return { headers, body };
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
 * Headers without the hop-by-hop ones: a request's on its way upstream, an answer's on its way
 * back (the upstream's `connection: keep-alive` must not override the client's own `Connection:
 * close` to the gateway).
 */
function withoutHopByHop<T extends Record<string, unknown>>(headers: T): T {
  const named = namedByConnection(headers.connection);
  // One pass over the headers: this runs for every proxied request and answer. Their names are
  // lower case already (Node's and undici's parsers make them so). Own names only, into an
  // object without a prototype (a header named `__proto__` stays a header).
  const kept: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(headers)) {
    if (!HOP_BY_HOP.has(name) && !named?.includes(name)) kept[name] = headers[name];
  }
  return kept as T;
}

/**
 * The other headers a `Connection` header names (lower case), if any: its usual values
 * (`keep-alive`, `close`) name none that is not hop-by-hop already.
 */
function namedByConnection(connection: unknown): string[] | undefined {
  if (typeof connection !== 'string' || connection === 'keep-alive' || connection === 'close')
    return undefined;
  return connection
    .toLowerCase()
    .split(',')
    .map((h) => h.trim());
}

/** An upstream's own answer that means it could not serve (a gateway of its own failed). */
class UpstreamAnswered extends Error {
  constructor(module: string, status: number) {
    super(`${module} answered ${status}`);
  }
}

/** What undici reports when the upstream cannot be reached or does not answer in time. */
const UPSTREAM_DOWN = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
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
  return [e?.code, e?.cause?.code].some(
    (code) => typeof code === 'string' && UPSTREAM_DOWN.has(code),
  );
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
 * An answer at most this large, its length known, is read whole before it is passed on: one
 * write of headers and body to the client, without a stream's machinery between two sockets.
 * Every answer of the API but the longest pages is this small. Under `POST /api/orders` at 50
 * connections the gateway spent 133 and 144 µs of CPU an order against 146 and 160 streaming
 * every answer (two runs of each, in turns).
 */
const WHOLE_ANSWER_BYTES = 64 * 1024;

function isSmall(contentLength: string | string[] | undefined): boolean {
  return typeof contentLength === 'string' && Number(contentLength) <= WHOLE_ANSWER_BYTES;
}
