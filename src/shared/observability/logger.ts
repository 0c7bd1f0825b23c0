import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LoggerService } from '@nestjs/common';
import { Logger as NestLogger, type Params, PinoLogger } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { ObservabilityConfig } from '../config/app-config';
import { isProbe } from './probes';
import { traceBindings } from './trace-bindings';
import { TurnBatchedDestination } from './log-destination';
import { moduleOfRoute } from '../modules/registry';

/**
 * What never reaches a log line: credentials, tokens, cookies and bodies, as top-level fields
 * and where HTTP objects, errors and payloads keep them. Nothing logs them on purpose; this is
 * the net. Explicit paths only: pino's wildcard paths cost several microseconds per line.
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'body',
];
const SECRET_HOLDERS = ['headers', 'req', 'request', 'res', 'data', 'payload', 'user', 'tokens'];
export const REDACTED_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_HOLDERS.flatMap((holder) => SECRET_KEYS.map((key) => `${holder}.${key}`)),
  ...['req', 'request', 'res', 'response', 'err'].flatMap((holder) => [
    `${holder}.headers.authorization`,
    `${holder}.headers.cookie`,
    `${holder}.headers["set-cookie"]`,
    `${holder}.body`,
  ]),
  'headers["set-cookie"]',
];

export { moduleOfRoute };

/**
 * The process' root logger: JSON lines with `service`, secrets redacted. A request's and a bus
 * message's lines carry their trace ids through their logging context (`traceBindings`).
 * `LOG_FORMAT=pretty` (development only) pretty-prints through `pino-pretty`.
 */
export function createRootLogger(
  config: Pick<ObservabilityConfig, 'logLevel' | 'logFormat'>,
  service: string,
  /** Where JSON lines go: stdout unless given (tests). */
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(config.logFormat === 'pretty' && {
      transport: { target: 'pino-pretty', options: { singleLine: true } },
    }),
  };
  if (config.logFormat === 'pretty') return pino(options);
  if (destination) return pino(options, destination);
  // The lines of one turn of the event loop in one synchronous write(2) at its end, rather than
  // one write per line: a busy process makes a fraction of the system calls, and a line is out
  // by the end of the turn that logged it (before the process waits for anything again) or at
  // exit, so what a process said before it answered ready is there, and a process killed
  // outright loses at most the lines of the turn it was in.
  return pino(options, TurnBatchedDestination.stdout());
}

/**
 * The process' loggers, from its configuration: the root logger, and nestjs-pino's over it:
 * `logger` (what Nest and every `Logger` call write through) and `requests` (for `logRequests`).
 */
export function createLoggers(config: ObservabilityConfig): {
  root: Logger;
  requests: PinoLogger;
  logger: NestLogger;
} {
  const root = createRootLogger(config, config.serviceName);
  const params = loggerParams(root);
  const requests = new PinoLogger(params);
  return { root, requests, logger: new NestLogger(requests, params) };
}

/**
 * nestjs-pino's parameters: its `PinoLogger`/`Logger` (what every Nest `Logger` call writes
 * through) over the root logger. Requests, responses and headers are never serialised. No HTTP
 * middleware: `logRequests` opens each request's logging context from a Fastify hook.
 */
export function loggerParams(logger: Logger): Params {
  return {
    pinoHttp: {
      logger,
      customAttributeKeys: { reqId: 'requestId' },
      serializers: { req: () => undefined, res: () => undefined },
    },
  };
}

/** The request's child logger (bound to its request id and trace ids), for its line. */
const REQUEST_LOG = Symbol('request log');
type LoggedRequest = FastifyRequest & { [REQUEST_LOG]?: Logger };

/**
 * One logging context per request, from Fastify's own hooks (no middleware, no pino-http):
 * on arrival, a child logger bound to the request id (the `x-request-id` the client sent, or a
 * new one) becomes the context of everything that serves it, through nestjs-pino's
 * `runInContext`, so that every Nest `Logger` call made meanwhile carries the request id; when
 * the response is sent, one line with method, route template, module, status and duration
 * (`ms`), at info (warn for 4xx, error for 5xx), probes left out. Register it before every
 * other `onRequest` hook, so that what they log carries the request id too.
 */
export function logRequests(fastify: FastifyInstance, logs: PinoLogger): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    logs.runInContext(
      () => {
        (request as LoggedRequest)[REQUEST_LOG] = logs.logger;
        done();
      },
      // In a tracing process the request's SERVER span is active here (traceRequests).
      { bindings: { requestId: request.id, ...traceBindings() } },
    );
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    const log = (request as LoggedRequest)[REQUEST_LOG];
    if (log?.isLevelEnabled(level) && !isProbe(request.url)) {
      const route = request.routeOptions.url ?? 'unmatched';
      const line = {
        method: request.method,
        route,
        module: moduleOfRoute(route),
        status,
        ms: Math.round(reply.elapsedTime),
      };
      if (status >= 500) {
        log.error({ ...line, error: `failed with status code ${status}` }, 'request failed');
      } else log[level](line, 'request');
    }
    done();
  });
  // A client that hangs up before its answer gets no onResponse: its line says so instead.
  fastify.addHook('onRequestAbort', (request, done) => {
    const log = (request as LoggedRequest)[REQUEST_LOG];
    if (log?.isLevelEnabled('info') && !isProbe(request.url)) {
      const route = request.routeOptions.url ?? 'unmatched';
      const line = { method: request.method, route, module: moduleOfRoute(route), aborted: true };
      log.info(line, 'request aborted');
    }
    done();
  });
}

/** Nest's start-up chatter (modules loaded, routes mapped): logged at debug, not info. */
const NEST_CHATTER = new Set([
  'NestFactory',
  'NestApplication',
  'NestMicroservice',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
]);

/** The application logger: nestjs-pino's, with Nest's own start-up lines moved to debug. */
export function applicationLogger(logger: LoggerService): LoggerService {
  return {
    log: (message: unknown, ...rest: unknown[]) => {
      const context = rest.at(-1);
      if (typeof context === 'string' && NEST_CHATTER.has(context)) {
        logger.debug?.(message, ...rest);
      } else {
        logger.log(message, ...rest);
      }
    },
    error: (message: unknown, ...rest: unknown[]) => void logger.error(message, ...rest),
    warn: (message: unknown, ...rest: unknown[]) => void logger.warn(message, ...rest),
    debug: (message: unknown, ...rest: unknown[]) => void logger.debug?.(message, ...rest),
    verbose: (message: unknown, ...rest: unknown[]) => void logger.verbose?.(message, ...rest),
    fatal: (message: unknown, ...rest: unknown[]) => void logger.fatal?.(message, ...rest),
  };
}
