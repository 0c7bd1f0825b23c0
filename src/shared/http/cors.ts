import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** What a browser may send cross-origin, and which answer headers its scripts may read. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'x-request-id'];
const EXPOSED_HEADERS = [
  'x-request-id',
  'location',
  'retry-after',
  'ratelimit',
  'ratelimit-policy',
  'idempotent-replayed',
];

/**
 * CORS for browsers on the configured origins (`CORS_ORIGINS`), none by default. An answer to an
 * allowed origin carries `Access-Control-Allow-Origin` (errors too: the hook runs on arrival,
 * before the rate limits, so a preflight is never counted); a preflight (`OPTIONS` with
 * `Access-Control-Request-Method`) gets 204 with what may be sent. Another origin gets no CORS
 * header, so its scripts cannot read the answer. Registered where the routes are served (one
 * process, a module process); the gateway passes preflights and headers through.
 */
export async function registerCors(
  fastify: FastifyInstance,
  origins: readonly string[],
): Promise<void> {
  if (origins.length === 0) return;
  await fastify.register(fastifyCors, {
    origin: [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
    strictPreflight: false,
  });
}
