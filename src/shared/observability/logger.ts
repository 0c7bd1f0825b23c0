import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, trace } from '@opentelemetry/api';
import { RequestMethod, type LoggerService } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { AppConfig } from '../config/config';
import { isProbe } from './probes';
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

/** Trace and span id of the active span, on every line written inside one. */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

/**
 * The process' root logger: JSON lines with `service`, the active trace ids, secrets redacted.
 * `LOG_FORMAT=pretty` (development only) pretty-prints through `pino-pretty`.
 */
export function createRootLogger(
  config: Pick<AppConfig, 'LOG_LEVEL' | 'LOG_FORMAT'>,
  service: string,
  /** Where JSON lines go: stdout unless given (tests). */
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    base: { service },
    mixin: traceFields,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(config.LOG_FORMAT === 'pretty' && {
      transport: { target: 'pino-pretty', options: { singleLine: true } },
    }),
  };
  if (config.LOG_FORMAT === 'pretty') return pino(options);
  // Asynchronous writes: lines written while one write is in flight go out together, rather
  // than one blocking write(2) per line (pino flushes what is pending when the process exits).
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

/** A raw request as Fastify hands it to middleware, with the route template we noted on it. */
type RawRequest = IncomingMessage & { id?: string; route?: string };

/**
 * nestjs-pino over pino-http: every request gets a child logger bound to its request id (the
 * `x-request-id` the client sent, or a new one), which every Nest `Logger` call made while
 * serving it uses; when it completes, one line with method, route template, module, status and
 * duration. Requests, responses and headers are never serialised.
 */
export function loggerParams(logger: Logger): Params {
  return {
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      logger,
      quietReqLogger: true,
      quietResLogger: true,
      customAttributeKeys: { reqId: 'requestId', responseTime: 'ms' },
      serializers: { req: () => undefined, res: () => undefined },
      autoLogging: {
        // Middleware sees `url` without its mount path; `originalUrl` is the whole of it.
        ignore: (req) => isProbe(originalUrl(req)),
      },
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      customSuccessMessage: () => 'request',
      customErrorMessage: () => 'request failed',
      customSuccessObject: (req, res, value: { ms?: number }) => requestLine(req, res, value.ms),
      customErrorObject: (req, res, error, value: { ms?: number }) => ({
        ...requestLine(req, res, value.ms),
        error: error instanceof Error ? error.message : String(error),
      }),
    },
  };
}

function requestLine(
  req: IncomingMessage,
  res: ServerResponse,
  ms: number | undefined,
): Record<string, unknown> {
  const route = (req as RawRequest).route ?? 'unmatched';
  return {
    method: req.method,
    route,
    module: moduleOfRoute(route),
    status: res.statusCode,
    ms,
  };
}

function originalUrl(req: IncomingMessage): string | undefined {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
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

/** Notes the route template on the raw request, for the request line (see `loggerParams`). */
export function noteRoute(raw: IncomingMessage, route: string | undefined): void {
  (raw as RawRequest).route = route;
}
