import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { committedOpenApi, mountGateway, packageVersion } from './shared/gateway/gateway';
import { createBusTransport } from './shared/bus/transport';
import { ACCESS_TOKEN_TTL_SECONDS, type AppConfig } from './shared/config/config';
import { completeOpenApi } from './shared/http/openapi-document';
import { PUBLIC_EXTENSION } from './shared/security/auth.guard';
import { replyProblem } from './shared/http/problem';
import { requestIdFor } from './shared/http/request-id';
import {
  answerClientError,
  answerFrameworkError,
  edgeServer,
  MAX_PARAM_LENGTH,
  refusedOnArrival,
  refuseWhileClosing,
} from './shared/http/edge-errors';
import { MalformedJson, parseJsonBody } from './shared/http/json-body';
import { applySecurityHeaders, computeSecurityHeaders } from './shared/http/security-headers';
import { registerCors } from './shared/http/cors';
import { registerRateLimits } from './shared/http/rate-limits';
import { createValidationPipe } from './shared/http/validation';
import { RefuseUnknownQuery } from './shared/http/unknown-query';
import { Logger, PinoLogger } from 'nestjs-pino';
import {
  applicationLogger,
  createRootLogger,
  loggerParams,
  logRequests,
} from './shared/observability/logger';
import { Metrics } from './shared/observability/metrics';
import { PROBE_PATHS } from './shared/observability/probes';
import { nameServerSpan, traceRequests } from './shared/observability/http-tracing';
import { isTracing, serviceName } from './shared/observability/tracing';
import { TokenVerifier } from './shared/security/token-verifier';

const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the application for the configured shape; the caller listens. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const securityHeaders = computeSecurityHeaders();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Logs are nestjs-pino's, one line per request from `logRequests` (request id in every
    // line it causes). No middleware either: `@fastify/middie` would only cost.
    logger: false,
    skipMiddie: true,
    genReqId: requestIdFor,
    // Answered as problem+json by `refuseWhileClosing`, with Retry-After and the request id.
    return503OnClosing: false,
    trustProxy: config.TRUST_PROXY,
    // Whatever is refused before routing is problem+json with a request id too.
    serverFactory: edgeServer(isTracing() ? traceRequests : undefined),
    clientErrorHandler: answerClientError,
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      answerFrameworkError(error, request, reply, securityHeaders),
  });
  // The gateway only proxies HTTP: it needs no bus, whatever TRANSPORT says.
  const gateway = config.MODULES.includes('gateway');
  const metrics = new Metrics();
  const transport = createBusTransport(
    gateway ? { ...config, TRANSPORT: 'local' } : config,
    metrics.busHandlers,
  );
  const rootLogger = createRootLogger(
    config,
    serviceName({
      OTEL_SERVICE_NAME: config.OTEL_SERVICE_NAME,
      MODULES: config.MODULES.join(','),
    }),
  );
  rootLogger.info(
    { context: 'main' },
    `starting: modules ${config.MODULES.join(',')}, transport ${config.TRANSPORT}`,
  );
  const logs = loggerParams(rootLogger);
  const pinoLogger = new PinoLogger(logs);
  const logger = new Logger(pinoLogger, logs);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, transport, logger, metrics }),
    adapter,
    // From the first line on (start-up failures included), Nest logs through the same JSON logger.
    { logger: applicationLogger(logger), bodyParser: false },
  );
  try {
    const fastify = app.getHttpAdapter().getInstance();
    // First: whatever the hooks after it log carries the request id.
    logRequests(fastify, pinoLogger);
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header('x-request-id', request.id);
      const route = request.routeOptions.url;
      if (route) nameServerSpan(request.method, route);
      done();
    });
    // The gateway proxies to the module processes, which limit what they serve (and see the
    // client's address in the X-Forwarded-For the gateway sets).
    if (!gateway) await registerCors(fastify, config.CORS_ORIGINS);
    if (!gateway) await registerRateLimits(fastify, config, tokenChecker(app));
    // After the limits: an answer refused here still carries the RateLimit headers.
    fastify.addHook('onRequest', (request, reply, done) => {
      const refused = refusedOnArrival(request);
      if (refused) return replyProblem(request, reply, refused, {});
      done();
    });
    refuseWhileClosing(fastify);
    parseJsonBodies(fastify);
    applySecurityHeaders(fastify, securityHeaders);
    metrics.instrument(fastify);

    app.setGlobalPrefix('api', {
      exclude: PROBE_PATHS.map((path) => ({ path, method: RequestMethod.GET })),
    });
    app.useGlobalPipes(createValidationPipe());
    // After the AuthGuard (APP_GUARD, registered when the modules were made).
    app.useGlobalGuards(new RefuseUnknownQuery());
    if (gateway) await mountGateway(app, config);
    else app.connectMicroservice({ strategy: transport.server }, { inheritAppConfig: true });
    SwaggerModule.setup('docs', app, () => (gateway ? committedOpenApi() : buildOpenApi(app)), {
      jsonDocumentUrl: 'docs/openapi.json',
      yamlDocumentUrl: 'docs/openapi.yaml',
    });
    await app.startAllMicroservices();
    await app.init();
  } catch (error) {
    // Whatever did start (embedded databases, listeners) must not keep the process alive.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

/** Whether an access token verifies (a revoked session's does not), for the per-token limit. */
function tokenChecker(app: NestFastifyApplication): (token: string) => Promise<boolean> {
  const verifier = app.get(TokenVerifier);
  return (token) =>
    verifier.verify(token).then(
      () => true,
      () => false,
    );
}

/**
 * JSON bodies, checked before any work is done (see `parseJsonBody`: nesting depth, NUL and
 * unpaired surrogates), with `__proto__` and `constructor.prototype` keys refused. Bodiless
 * POSTs (`/cancel`) often carry `Content-Type: application/json` anyway: an empty body is none.
 */
function parseJsonBodies(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = body.toString();
      if (text === '') return done(null, undefined);
      try {
        done(null, parseJsonBody(text, parseSecureJson));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}

function parseSecureJson(text: string): unknown {
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new MalformedJson();
  }
}

/** The OpenAPI document of every route the loaded modules serve: the whole REST contract. */
export function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('cleave')
    .setDescription(
      'Auth, user and order modules behind one REST contract. Errors are RFC 9457 problem ' +
        'details (application/problem+json) with a stable `code` and the `requestId`; every ' +
        'answer carries `x-request-id`, and the rate-limit headers `RateLimit` and ' +
        '`RateLimit-Policy`. The whole contract, with every rule and limit, is docs/api.md in ' +
        'the cleave repository.',
    )
    .setVersion(packageVersion())
    .build();
  return completeOpenApi(SwaggerModule.createDocument(app, config), {
    accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    bearer: 'bearer',
    publicExtension: PUBLIC_EXTENSION,
    tags: {
      auth: 'Sessions: log in, refresh, log out, and the public keys that verify access tokens',
      users: 'Accounts: sign up, profile, password, deletion; admins list them',
      orders: "Orders: place (idempotently), list and read one's own, cancel; admins move them on",
    },
  });
}
