import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { createBusTransport } from './shared/bus/transport';
import type { AppConfig } from './shared/config/app-config';
import { ACCESS_TOKEN_TTL_SECONDS } from './shared/config/config';
import { committedOpenApi, mountGateway, packageVersion } from './shared/gateway/gateway';
import { HttpEdge } from './shared/http/edge';
import { completeOpenApi } from './shared/http/openapi-document';
import { DOCS_PATH } from './shared/http/security-headers';
import { applicationLogger, createLoggers } from './shared/observability/logger';
import { Metrics } from './shared/observability/metrics';
import { PUBLIC_EXTENSION } from './shared/security/auth.guard';

/** Builds the application for the configured shape, in this order; the caller listens. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const gateway = config.modules.includes('gateway');
  const metrics = new Metrics();
  const transport = createBusTransport(config.bus, metrics.busHandlers);
  const logs = createLoggers(config.observability);
  logs.root.info(
    { context: 'main' },
    `starting: modules ${config.modules.join(',')}, transport ${config.bus.transport}`,
  );
  const edge = new HttpEdge(config.http);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, transport, logger: logs.logger, metrics }),
    edge.adapter(),
    // From the first line on (start-up failures included), Nest logs through the same JSON logger.
    { logger: applicationLogger(logs.logger), bodyParser: false },
  );
  try {
    await edge.prepare(app, { requestLogs: logs.requests, metrics, limits: !gateway });
    if (gateway) await mountGateway(app, config.gateway);
    // Not `inheritAppConfig`: the HTTP edge's global pipe, guards and filter have nothing to do
    // for a message (`runHandler` reads it against its contract; the bus handlers' exception
    // filter comes with their own decorators, `bus-handler.ts`).
    else app.connectMicroservice({ strategy: transport.server });
    // Where the documentation is decides its security headers (`security-headers.ts`).
    const docs = DOCS_PATH.slice(1);
    SwaggerModule.setup(docs, app, () => (gateway ? committedOpenApi() : buildOpenApi(app)), {
      jsonDocumentUrl: `${docs}/openapi.json`,
      yamlDocumentUrl: `${docs}/openapi.yaml`,
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
