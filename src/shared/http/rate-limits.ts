import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitsConfig } from '../config/app-config';
import { problem, replyProblem } from './problem';

/** The policies' names, as the `RateLimit` and `RateLimit-Policy` headers carry them. */
export type PolicyName = 'per-token' | 'per-address' | 'auth-per-address';

/** One fixed window for every policy. */
const WINDOW_SECONDS = 60;
/**
 * Counters kept per process (tokens and addresses together): the least recently seen go first,
 * so memory stays bounded whoever floods; a window ends by itself after WINDOW_SECONDS.
 */
const MAX_KEYS = 50_000;

interface Policy {
  name: PolicyName;
  limit: number;
}

/** Which policy counts a request, and whose budget it spends. */
interface Charge {
  policy: Policy;
  key: string;
}

/**
 * Rate limits on every `/api` route (not the probes, metrics or docs), counted by
 * `@fastify/rate-limit` in an `onRequest` hook: before the body is read and before any guard,
 * so a flood is refused before work, and every answer of a limited route (a 400, 401, 413 or
 * 415 too) carries the IETF headers (draft-ietf-httpapi-ratelimit-headers, structured fields):
 * `RateLimit-Policy: "per-token";q=1200;w=60` and `RateLimit: "per-token";r=<left>;t=<seconds>`.
 *
 * - `auth-per-address`: every `/api/auth/*` request, per client address
 *   (`AUTH_RATE_LIMIT_PER_MINUTE`, its meaning since it existed).
 * - `per-token`: any other route with an access token that verifies, per token.
 * - `per-address`: any other route without one, per client address (an IPv6 /64 is one
 *   address). A token that does not verify counts here, so made-up tokens cannot open fresh
 *   budgets, and a client cannot spend another's budget: a token is checked before it counts,
 *   and the address is the socket's (or, behind a trusted proxy, what `TRUST_PROXY` allows).
 *
 * Past the limit: 429 problem+json (`RATE_LIMITED`) with `Retry-After`. Counters live in this
 * process: with N replicas a client may get up to N times the limit.
 */
export async function registerRateLimits(
  fastify: FastifyInstance,
  settings: RateLimitsConfig,
  /** Whether the request's access token verifies (then its `Authorization` is `Bearer <token>`). */
  tokenIsValid: (request: FastifyRequest) => Promise<boolean>,
): Promise<void> {
  const policies = {
    auth: { name: 'auth-per-address', limit: settings.authPerAddress },
    token: { name: 'per-token', limit: settings.perToken },
    address: { name: 'per-address', limit: settings.perAddress },
  } satisfies Record<string, Policy>;
  const charges = new WeakMap<FastifyRequest, Charge>();

  const chargeFor = async (request: FastifyRequest): Promise<Charge | undefined> => {
    // The matched route's template when there is one (the router decodes `%61pi`), else the path.
    const path = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
    if (!isUnder(path, '/api')) return undefined;
    if (isUnder(path, '/api/auth')) {
      return { policy: policies.auth, key: `a:${addressOf(request)}` };
    }
    const { authorization } = request.headers;
    if (authorization !== undefined && (await tokenIsValid(request))) {
      // A signature names its token: the key is as unique as the token, and shorter. The
      // address is not needed then (its key costs a regular expression a request).
      const signature = authorization.slice(authorization.lastIndexOf('.') + 1);
      return policies.token.limit > 0
        ? { policy: policies.token, key: `t:${signature}` }
        : undefined;
    }
    return policies.address.limit > 0
      ? { policy: policies.address, key: `i:${addressOf(request)}` }
      : undefined;
  };

  await fastify.register(fastifyRateLimit, {
    global: false,
    cache: MAX_KEYS,
    timeWindow: WINDOW_SECONDS * 1000,
    // Only ever called for a request `chargeFor` has charged (see below).
    keyGenerator: (request) => charges.get(request)!.key,
    max: (request) => charges.get(request)!.policy.limit,
  });
  const count = fastify.createRateLimit();

  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const charge = await chargeFor(request);
    if (!charge) return;
    charges.set(request, charge);
    const result = await count(request);
    if (result.isAllowed) return;
    const { name, limit } = charge.policy;
    void reply
      .header('ratelimit-policy', `"${name}";q=${limit};w=${WINDOW_SECONDS}`)
      .header('ratelimit', `"${name}";r=${result.remaining};t=${result.ttlInSeconds}`);
    if (!result.isExceeded) return;
    const after = Math.max(1, result.ttlInSeconds);
    replyProblem(
      request,
      reply,
      problem(429, `Too many requests (${name}: ${limit} a minute); try again in ${after} s.`, {
        code: 'RATE_LIMITED',
      }),
      { 'retry-after': String(after) },
    );
    return reply;
  });
}

function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * The client's address as a key: an IPv6 /64 is one client. A socket already closed has none,
 * and a forwarded value may be anything: neither may turn into a 500.
 */
function addressOf(request: FastifyRequest): string {
  const ip = request.ip as string | undefined;
  if (!ip) return 'unknown';
  try {
    return normalizeIP(ip);
  } catch {
    return ip;
  }
}
