import { RequestMethod } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PinoLogger } from 'nestjs-pino';
import type { HttpConfig } from '../config/app-config';
import { nameServerSpan, traceRequests } from '../observability/http-tracing';
import { logRequests } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { PROBE_PATHS } from '../observability/probes';
import { isTracing } from '../observability/tracing-state';
import { TokenVerifier } from '../security/token-verifier';
import { registerCors } from './cors';
import {
  answerClientError,
  answerFrameworkError,
  edgeServer,
  MAX_PARAM_LENGTH,
  refusedOnArrival,
  refuseWhileClosing,
} from './edge-errors';
import { BODY_LIMIT_BYTES, parseJsonBodies } from './json-body';
import { replyProblem } from './problem';
import { registerRateLimits } from './rate-limits';
import { requestIdFor } from './request-id';
import { applySecurityHeaders, computeSecurityHeaders } from './security-headers';
import { RefuseUnknownQuery } from './unknown-query';
import { createValidationPipe } from './validation';

/**
 * The HTTP edge of every process: Fastify as the application runs it (`adapter`), and what
 * every request passes before a route (`prepare`), in order. Whatever it refuses is
 * problem+json with a request id.
 */
export class HttpEdge {
  private readonly securityHeaders = computeSecurityHeaders();

  constructor(private readonly config: HttpConfig) {}

  adapter(): FastifyAdapter {
    const { trustProxy } = this.config;
    return new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
      // Logs are nestjs-pino's, one line per request from `logRequests` (request id in every
      // line it causes). No middleware either: `@fastify/middie` would only cost.
      logger: false,
      skipMiddie: true,
      genReqId: requestIdFor,
      // Answered as problem+json by `refuseWhileClosing`, with Retry-After and the request id.
      return503OnClosing: false,
      trustProxy: typeof trustProxy === 'boolean' ? trustProxy : [...trustProxy],
      // Whatever is refused before routing is problem+json with a request id too.
      serverFactory: edgeServer(isTracing() ? traceRequests : undefined),
      clientErrorHandler: answerClientError,
      frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
        answerFrameworkError(error, request, reply, this.securityHeaders.api),
    });
  }

  /**
   * The request hooks, in the order they run, then Nest's global prefix, pipe and guard.
   * `limits`: CORS and the rate limits apply here (not in the gateway: the module processes
   * behind it limit what they serve, and see the client's address in its X-Forwarded-For).
   */
  async prepare(
    app: NestFastifyApplication,
    parts: { requestLogs: PinoLogger; metrics: Metrics; limits: boolean },
  ): Promise<void> {
    const fastify = app.getHttpAdapter().getInstance();
    // First: whatever the hooks after it log carries the request id.
    logRequests(fastify, parts.requestLogs);
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header('x-request-id', request.id);
      const route = request.routeOptions.url;
      if (route) nameServerSpan(request.method, route);
      done();
    });
    if (parts.limits) {
      await registerCors(fastify, this.config.corsOrigins);
      await registerRateLimits(fastify, this.config.rateLimits, tokenChecker(app));
    }
    // After the limits: an answer refused here still carries the RateLimit headers.
    fastify.addHook('onRequest', (request, reply, done) => {
      const refused = refusedOnArrival(request);
      if (refused) return replyProblem(request, reply, refused, {});
      done();
    });
    refuseWhileClosing(fastify);
    parseJsonBodies(fastify);
    applySecurityHeaders(fastify, this.securityHeaders);
    parts.metrics.instrument(fastify);

    app.setGlobalPrefix('api', {
      exclude: PROBE_PATHS.map((path) => ({ path, method: RequestMethod.GET })),
    });
    app.useGlobalPipes(createValidationPipe());
    // After the AuthGuard (APP_GUARD, registered when the modules were made).
    app.useGlobalGuards(new RefuseUnknownQuery());
  }
}

/** Whether an access token verifies (a revoked session's does not), for the per-token limit. */
function tokenChecker(app: NestFastifyApplication): (request: FastifyRequest) => Promise<boolean> {
  const verifier = app.get(TokenVerifier);
  // The verifier keeps the request's answer: the guard that asks next gets it without a lookup.
  return (request) =>
    verifier.verifyRequest(request).then(
      () => true,
      () => false,
    );
}
