/**
 * The environment the application reads: each variable with its default and bounds, the checks
 * across variables, and `loadConfig`, which validates it once at start and groups it by concern
 * (`app-config.ts`). An error names every bad variable.
 */
import { z } from 'zod';
import {
  BUSINESS_MODULES,
  type BusinessModule,
  missingPeers,
  descriptorOf,
} from '../modules/registry';
import { type AppConfig, type DatabaseConfig, MODULE_NAMES } from './app-config';

const csv = <const T extends readonly [string, ...string[]]>(allowed: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(allowed)).min(1));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** The encodings of OTLP/HTTP the trace exporter speaks (see `otlpExporterFromEnv`). */
const otlpProtocol = () =>
  z
    .enum(['http/protobuf', 'http/json'], {
      error:
        'must be http/protobuf or http/json: traces go over OTLP/HTTP (a collector listens for it on port 4318), not gRPC',
    })
    .optional();

/** An access token's lifetime in seconds (`ACCESS_TOKEN_TTL_SECONDS`): its bounds and default. */
export const ACCESS_TOKEN_TTL_SECONDS = { minimum: 30, maximum: 900, default: 900 } as const;

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
  .pipe(z.url());

const schema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  MODULES: csv(MODULE_NAMES).default([...BUSINESS_MODULES]),
  /** `local`: in-process (one process); `nats`: NATS request/reply and JetStream events. */
  TRANSPORT: z.enum(['local', 'nats']).default('local'),
  NATS_URL: z
    .string()
    .regex(/^(nats|tls):\/\//, 'must be a nats:// or tls:// URL')
    .default('nats://127.0.0.1:4222'),
  /** Prefix of the subjects, streams and consumers: deployments sharing a server keep apart. */
  NATS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('cleave'),
  /** Deliveries of one event to one handler before it is dead-lettered (NATS only). */
  NATS_MAX_DELIVER: int(1, 1000).default(10),
  /** How long a handler may take before JetStream delivers the event again (NATS only). */
  NATS_ACK_WAIT_MS: int(1000, 3_600_000).default(30_000),
  DATA_DIR: z.string().min(1).default('./data'),
  USER_DATABASE_URL: postgresUrl.optional(),
  /** `postgres://…` or `mongodb://…`; without it, embedded PGlite under DATA_DIR. */
  ORDER_DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?|mongodb(\+srv)?):\/\//, 'must be a postgres:// or mongodb:// URL')
    .pipe(z.url())
    .optional(),
  /** `redis://…` for the auth module's sessions; without it, memory (one process only). */
  AUTH_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .pipe(z.url())
    .optional(),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(8).max(128).optional(),
  /**
   * Which proxies to trust for the client address (rate limits): `false`, `true`, or
   * comma-separated addresses/CIDRs, as Fastify's `trustProxy`.
   */
  TRUST_PROXY: z
    .string()
    .transform((v): boolean | string[] =>
      v === 'true' ? true : v === 'false' ? false : v.split(',').map((s) => s.trim()),
    )
    .default(false),
  /**
   * Browser origins allowed to call the API cross-origin (CORS), comma-separated, each
   * `scheme://host[:port]` exactly; empty (the default): no CORS headers, browsers of other
   * origins cannot read an answer.
   */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .refine((origins) => origins.every(isOrigin), {
      message:
        'each origin must be scheme://host[:port], without a path, e.g. https://app.example.com',
    }),
  /** On SIGTERM: keep serving this long with /ready at 503, so load balancers stop sending. */
  SHUTDOWN_DRAIN_MS: int(0, 600_000).default(5000),
  /** Then: the bound on finishing in-flight work and closing; past it the process exits 1. */
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(20_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` (one object per line) or `pretty` (development only: needs the dev dependencies). */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  NODE_ENV: z.string().default('development'),
  /** Traces: on when an OTLP endpoint is set (read by the OpenTelemetry exporter itself). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** OTLP/HTTP's encoding (`…_TRACES_PROTOCOL` wins): `http/protobuf` (default) or `http/json`. */
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** Liveness fails while the event loop was blocked longer than this within the last 10 s. */
  HEALTH_MAX_EVENT_LOOP_DELAY_MS: int(50, 600_000).default(2000),
  BUS_TIMEOUT_MS: int(10, 60_000).default(3000),
  /** Circuit breakers (cross-module requests, gateway upstreams): open at this failure share… */
  BREAKER_ERROR_PERCENT: int(1, 100).default(50),
  /** …once this many calls were made in the 10 s window… */
  BREAKER_MIN_REQUESTS: int(1, 10_000).default(5),
  /** …and fail fast this long before one trial call. */
  BREAKER_RESET_MS: int(100, 600_000).default(5000),
  /** The gateway's upstreams, `auth=http://…,user=http://…,order=http://…` (MODULES=gateway). */
  GATEWAY_UPSTREAMS: z
    .string()
    .transform((raw, ctx) => {
      const upstreams: Partial<Record<BusinessModule, string>> = {};
      for (const entry of raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const [name, url] = entry.split(/=(.*)/s);
        if (!isBusinessModule(name) || !url || !/^https?:\/\/[^/]+\/?$/.test(url)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${entry}" is not <${BUSINESS_MODULES.join('|')}>=http://host:port`,
          });
          return z.NEVER;
        }
        upstreams[name] = url.replace(/\/$/, '');
      }
      return upstreams;
    })
    .optional(),
  /** Bound on one proxied request at the gateway. */
  GATEWAY_TIMEOUT_MS: int(100, 300_000).default(10_000),
  DB_TIMEOUT_MS: int(100, 60_000).default(5000),
  JWT_ISSUER: z.string().min(1).default('cleave'),
  JWT_AUDIENCE: z.string().min(1).default('cleave-api'),
  ACCESS_TOKEN_TTL_SECONDS: int(
    ACCESS_TOKEN_TTL_SECONDS.minimum,
    ACCESS_TOKEN_TTL_SECONDS.maximum,
  ).default(ACCESS_TOKEN_TTL_SECONDS.default),
  REFRESH_TOKEN_TTL_SECONDS: int(60, 90 * 24 * 3600).default(30 * 24 * 3600),
  /** Ed25519 private key as a JWK (JSON); without it one is generated and kept under DATA_DIR. */
  AUTH_SIGNING_KEY: z.string().min(1).optional(),
  /**
   * The public keys that verify access tokens, as a JWKS or one public JWK (JSON), so a process
   * can start (and become ready) while the auth module is down; it still fetches them at start.
   */
  AUTH_PUBLIC_KEYS: z
    .string()
    .refine(isPublicKeySet, 'must be a JWKS ({"keys":[…]}) or one public JWK, with no private part')
    .optional(),
  /**
   * How often each process catches up on revoked sessions from the auth module, besides the
   * broadcast that reaches it at once: the bound on how long a missed broadcast goes unnoticed.
   */
  REVOCATION_SYNC_MS: int(100, 600_000).default(10_000),
  LOGIN_MAX_FAILURES: int(1, 1000).default(5),
  LOGIN_LOCK_WINDOW_SECONDS: int(1, 24 * 3600).default(15 * 60),
  /** Requests per client address per minute on `/api/auth/*` (policy `auth-per-address`). */
  AUTH_RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(600),
  /** Requests per access token per minute on every other `/api` route (`per-token`); 0: off. */
  RATE_LIMIT_PER_TOKEN_PER_MINUTE: int(0, 1_000_000).default(1200),
  /** Requests per client address per minute on every other `/api` route without a valid token (`per-address`); 0: off. */
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: int(0, 1_000_000).default(600),
  OUTBOX_MAX_ATTEMPTS: int(1, 1000).default(10),
  OUTBOX_POLL_MS: int(10, 60_000).default(500),
  /** Under load, the relay's wait between batches, gathering the events committed meanwhile; 0: none. */
  OUTBOX_GATHER_MS: int(0, 1000).default(10),
  /** A relay's claim on a batch; after a crash its batch is taken over once the lease ends. */
  OUTBOX_LEASE_MS: int(100, 600_000).default(10_000),
  /** Sent outbox entries are kept this long for inspection, then removed (0: at the next purge). */
  OUTBOX_RETENTION_HOURS: int(0, 24 * 365).default(24),
  OUTBOX_BACKOFF_BASE_MS: int(1, 60_000).default(200),
  OUTBOX_BACKOFF_MAX_MS: int(1, 3_600_000).default(60_000),
  /** `off` skips the start-up check that enough memory is free for this shape (memory-check.ts). */
  MEMORY_CHECK: z.enum(['on', 'off']).default('on'),
  ARGON2_MEMORY_KIB: int(19456, 1 << 22).default(19456),
  ARGON2_TIME_COST: int(2, 100).default(2),
});

type Environment = z.output<typeof schema>;

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the environment once, at start, and returns it grouped by concern,
 * frozen: the composition root hands each part its group alone.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const input = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in schema.shape && value !== ''),
  );
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if ((config.ADMIN_EMAIL === undefined) !== (config.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError(
      'Invalid configuration:\n  ADMIN_EMAIL, ADMIN_PASSWORD: set both or neither',
    );
  }
  const problems = moduleProblems(config);
  if (config.LOG_FORMAT === 'pretty' && config.NODE_ENV === 'production') {
    problems.push('LOG_FORMAT: pretty logs are for development; production logs are JSON');
  }
  if (problems.length > 0)
    throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return deepFreeze(grouped(config));
}

/** The verifier's leeway on a token's age, in seconds: for clocks that disagree. */
const TOKEN_AGE_LEEWAY_SECONDS = 60;

/** Each variable in the group of what it is for (the groups' types say which is which). */
function grouped(env: Environment): AppConfig {
  const gateway = env.MODULES.includes('gateway');
  const modules = env.MODULES.join('+');
  const acceptedAgeSeconds = env.ACCESS_TOKEN_TTL_SECONDS + TOKEN_AGE_LEEWAY_SECONDS;
  const backoff = { baseMs: env.OUTBOX_BACKOFF_BASE_MS, maxMs: env.OUTBOX_BACKOFF_MAX_MS };
  const database = (url: string | undefined): DatabaseConfig => ({
    url,
    dataDir: env.DATA_DIR,
    timeoutMs: env.DB_TIMEOUT_MS,
  });
  return {
    modules: env.MODULES,
    memoryCheck: env.MEMORY_CHECK === 'on',
    http: {
      port: env.PORT,
      host: env.HOST,
      trustProxy: env.TRUST_PROXY,
      corsOrigins: env.CORS_ORIGINS,
      rateLimits: {
        authPerAddress: env.AUTH_RATE_LIMIT_PER_MINUTE,
        perToken: env.RATE_LIMIT_PER_TOKEN_PER_MINUTE,
        perAddress: env.RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
      },
    },
    shutdown: { drainMs: env.SHUTDOWN_DRAIN_MS, timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    bus: {
      transport: gateway ? 'local' : env.TRANSPORT,
      timeoutMs: env.BUS_TIMEOUT_MS,
      source: modules,
      nats: {
        url: env.NATS_URL,
        namespace: env.NATS_NAMESPACE,
        maxDeliver: env.NATS_MAX_DELIVER,
        ackWaitMs: env.NATS_ACK_WAIT_MS,
        backoff,
        broadcastReplayMs: acceptedAgeSeconds * 1000,
      },
    },
    databases: {
      auth: database(env.AUTH_REDIS_URL),
      user: database(env.USER_DATABASE_URL),
      order: database(env.ORDER_DATABASE_URL),
    },
    tokens: {
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      acceptedAgeSeconds,
      refreshTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
      signingKey: env.AUTH_SIGNING_KEY,
      publicKeys: env.AUTH_PUBLIC_KEYS,
      revocationSyncMs: env.REVOCATION_SYNC_MS,
      verifiedHere: !gateway,
    },
    logins: {
      maxFailures: env.LOGIN_MAX_FAILURES,
      lockWindowSeconds: env.LOGIN_LOCK_WINDOW_SECONDS,
    },
    passwords: { memoryKib: env.ARGON2_MEMORY_KIB, timeCost: env.ARGON2_TIME_COST },
    admin: { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
    outbox: {
      maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
      pollMs: env.OUTBOX_POLL_MS,
      gatherMs: env.OUTBOX_GATHER_MS,
      leaseMs: env.OUTBOX_LEASE_MS,
      retentionHours: env.OUTBOX_RETENTION_HOURS,
      backoff,
    },
    breakers: {
      errorPercent: env.BREAKER_ERROR_PERCENT,
      minRequests: env.BREAKER_MIN_REQUESTS,
      resetMs: env.BREAKER_RESET_MS,
    },
    observability: {
      logLevel: env.LOG_LEVEL,
      logFormat: env.LOG_FORMAT,
      serviceName: env.OTEL_SERVICE_NAME ?? `cleave-${modules}`,
      maxEventLoopDelayMs: env.HEALTH_MAX_EVENT_LOOP_DELAY_MS,
    },
    gateway: { upstreams: env.GATEWAY_UPSTREAMS ?? {}, timeoutMs: env.GATEWAY_TIMEOUT_MS },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const isBusinessModule = (name: string | undefined): name is BusinessModule =>
  name !== undefined && descriptorOf(name) !== undefined;

/** Combinations of MODULES, TRANSPORT and databases that cannot work, each with the reason. */
function moduleProblems(config: Environment): string[] {
  const problems: string[] = [];
  const loaded = new Set(config.MODULES);
  if (loaded.has('gateway') && loaded.size > 1) {
    problems.push('MODULES: the gateway runs alone (MODULES=gateway)');
  }
  if (loaded.has('gateway')) {
    const missing = BUSINESS_MODULES.filter((m) => !config.GATEWAY_UPSTREAMS?.[m]);
    if (missing.length > 0) {
      problems.push(
        `GATEWAY_UPSTREAMS: the gateway needs an upstream for ${missing.join(', ')} (e.g. user=http://user:3000)`,
      );
    }
  }
  if (config.TRANSPORT === 'local') {
    for (const { module, missing } of missingPeers(loaded)) {
      problems.push(
        `MODULES: ${module} needs ${missing.join(' and ')} over the bus; with TRANSPORT=local they must run in the same process (add them, or use TRANSPORT=nats)`,
      );
    }
  }
  if (config.TRANSPORT === 'nats' && loaded.has('auth') && config.AUTH_REDIS_URL === undefined) {
    problems.push(
      'AUTH_REDIS_URL: with TRANSPORT=nats the auth module may run in several processes, so its sessions must live in Redis, not in memory',
    );
  }
  return problems;
}

function isPublicKeySet(text: string): boolean {
  try {
    const value = JSON.parse(text) as { keys?: unknown } | null;
    const keys: unknown[] = Array.isArray(value?.keys) ? value.keys : [value];
    return (
      keys.length > 0 &&
      keys.every((k) => {
        const key = k as Record<string, unknown> | null;
        return typeof key?.kty === 'string' && key.d === undefined;
      })
    );
  } catch {
    return false;
  }
}

/** `https://app.example.com` or `http://localhost:8080`: an origin as browsers send it. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}
