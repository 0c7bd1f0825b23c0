import { BUSINESS_MODULES, type BusinessModule } from '../modules/registry';

/**
 * The configuration as the application sees it: read and validated once by `loadConfig`
 * (`config.ts`, where the variables, defaults and bounds are), grouped by concern and frozen.
 * The composition root alone holds the whole; each part is given its group: Nest providers
 * inject it by the group's token (`ConfigModule`), plain functions take it as a parameter.
 * Each field names the variable it comes from.
 */
export interface AppConfig {
  /** `MODULES`: what this process serves. */
  readonly modules: readonly ModuleName[];
  /** `MEMORY_CHECK=on`: whether the start-up check that enough memory is free runs. */
  readonly memoryCheck: boolean;
  readonly http: HttpConfig;
  readonly shutdown: ShutdownConfig;
  readonly bus: BusConfig;
  readonly databases: DatabasesConfig;
  readonly tokens: TokensConfig;
  readonly logins: LoginsConfig;
  readonly passwords: PasswordsConfig;
  readonly admin: AdminConfig;
  readonly outbox: OutboxConfig;
  readonly breakers: BreakersConfig;
  readonly observability: ObservabilityConfig;
  readonly gateway: GatewayConfig;
}

/** Module names a process may serve (`MODULES`): the business modules, and the gateway. */
export const MODULE_NAMES = [
  ...(BUSINESS_MODULES as [BusinessModule, ...BusinessModule[]]),
  'gateway',
] as const;
export type ModuleName = BusinessModule | 'gateway';

/** The HTTP server and what it lets in. */
export interface HttpConfig {
  /** `PORT` */
  readonly port: number;
  /** `HOST` */
  readonly host: string;
  /** `TRUST_PROXY`: `false`, `true`, or the addresses/CIDRs to trust, as Fastify's `trustProxy`. */
  readonly trustProxy: boolean | readonly string[];
  /** `CORS_ORIGINS`: the browser origins allowed cross-origin; none by default. */
  readonly corsOrigins: readonly string[];
  readonly rateLimits: RateLimitsConfig;
}

/** Requests per minute each rate-limit policy allows (`shared/http/rate-limits.ts`); 0: off. */
export interface RateLimitsConfig {
  /** `AUTH_RATE_LIMIT_PER_MINUTE`: `/api/auth/*`, per client address. */
  readonly authPerAddress: number;
  /** `RATE_LIMIT_PER_TOKEN_PER_MINUTE`: other `/api` routes, per access token. */
  readonly perToken: number;
  /** `RATE_LIMIT_PER_ADDRESS_PER_MINUTE`: other `/api` routes without a valid token, per address. */
  readonly perAddress: number;
}

/** The graceful stop on SIGTERM (`shutdown.ts`). */
export interface ShutdownConfig {
  /** `SHUTDOWN_DRAIN_MS`: serving on with `/ready` at 503, so load balancers stop sending. */
  readonly drainMs: number;
  /** `SHUTDOWN_TIMEOUT_MS`: the bound on closing after that; past it the process exits 1. */
  readonly timeoutMs: number;
}

/** The message bus between modules. */
export interface BusConfig {
  /** `TRANSPORT`; `local` in the gateway, which only proxies HTTP and needs no bus. */
  readonly transport: 'local' | 'nats';
  /** `BUS_TIMEOUT_MS`: the bound on a request, and on waiting for an event's handlers. */
  readonly timeoutMs: number;
  /** This process on the bus: its modules joined by `+` (requests' `ce-source`, NATS' client name). */
  readonly source: string;
  readonly nats: NatsConfig;
}

/** The NATS transport (`TRANSPORT=nats`). */
export interface NatsConfig {
  /** `NATS_URL` */
  readonly url: string;
  /** `NATS_NAMESPACE`: prefix of the subjects, streams and consumers. */
  readonly namespace: string;
  /** `NATS_MAX_DELIVER`: deliveries of one event to one handler before it is dead-lettered. */
  readonly maxDeliver: number;
  /** `NATS_ACK_WAIT_MS`: how long a handler may take before the event is delivered again. */
  readonly ackWaitMs: number;
  /** The delays between deliveries to a failing handler: the outbox's, one retry rule. */
  readonly backoff: BackoffConfig;
  /** How long broadcasts are kept for processes that start later: an access token's lifetime
   * (`ACCESS_TOKEN_TTL_SECONDS`) and a minute, as long as a revocation matters. */
  readonly broadcastReplayMs: number;
}

/** The delay after a failure, doubling up to the longest (`shared/bus/retry.ts`). */
export interface BackoffConfig {
  /** `OUTBOX_BACKOFF_BASE_MS` */
  readonly baseMs: number;
  /** `OUTBOX_BACKOFF_MAX_MS` */
  readonly maxMs: number;
}

/** Each business module's database, under its name. */
export type DatabasesConfig = Readonly<Record<BusinessModule, DatabaseConfig>>;

/** One module's database. */
export interface DatabaseConfig {
  /**
   * The registry's `databaseVariable` (`AUTH_REDIS_URL`, `USER_DATABASE_URL`,
   * `ORDER_DATABASE_URL`); without it, the module's embedded one under `dataDir`.
   */
  readonly url?: string;
  /** `DATA_DIR`: embedded databases, and the auth module's generated signing key. */
  readonly dataDir: string;
  /** `DB_TIMEOUT_MS`: the bound on one statement or command. */
  readonly timeoutMs: number;
}

/** Access and refresh tokens: issuing them (the auth module) and accepting them (every process). */
export interface TokensConfig {
  /** `JWT_ISSUER` */
  readonly issuer: string;
  /** `JWT_AUDIENCE` */
  readonly audience: string;
  /** `ACCESS_TOKEN_TTL_SECONDS` */
  readonly accessTtlSeconds: number;
  /**
   * How old an access token may be and still be accepted: its lifetime plus the verifier's
   * minute of leeway for clocks that disagree. A session's revocation must be known this long.
   */
  readonly acceptedAgeSeconds: number;
  /** `REFRESH_TOKEN_TTL_SECONDS`: a session's lifetime. */
  readonly refreshTtlSeconds: number;
  /** `AUTH_SIGNING_KEY`: the Ed25519 private JWK; without it one is generated under `DATA_DIR`. */
  readonly signingKey?: string;
  /** `AUTH_PUBLIC_KEYS`: the keys that verify access tokens, held before the auth module answers. */
  readonly publicKeys?: string;
  /** `REVOCATION_SYNC_MS`: how often revoked sessions are caught up on, and told again. */
  readonly revocationSyncMs: number;
  /** Whether this process verifies access tokens: all but the gateway, which only proxies. */
  readonly verifiedHere: boolean;
}

/** The lock on an email after failed logins (the auth module). */
export interface LoginsConfig {
  /** `LOGIN_MAX_FAILURES` */
  readonly maxFailures: number;
  /** `LOGIN_LOCK_WINDOW_SECONDS` */
  readonly lockWindowSeconds: number;
}

/** Password hashing with argon2id (the user module). */
export interface PasswordsConfig {
  /** `ARGON2_MEMORY_KIB` */
  readonly memoryKib: number;
  /** `ARGON2_TIME_COST` */
  readonly timeCost: number;
}

/** The admin account ensured at start (the user module): both set, or neither. */
export interface AdminConfig {
  /** `ADMIN_EMAIL` */
  readonly email?: string;
  /** `ADMIN_PASSWORD` */
  readonly password?: string;
}

/** Every module's outbox relay. */
export interface OutboxConfig {
  /** `OUTBOX_MAX_ATTEMPTS`: deliveries before an entry is parked. */
  readonly maxAttempts: number;
  /** `OUTBOX_POLL_MS` */
  readonly pollMs: number;
  /** `OUTBOX_GATHER_MS`: under load, the relay's wait between batches. */
  readonly gatherMs: number;
  /** `OUTBOX_LEASE_MS`: a relay's claim on a batch. */
  readonly leaseMs: number;
  /** `OUTBOX_RETENTION_HOURS`: how long sent entries are kept. */
  readonly retentionHours: number;
  readonly backoff: BackoffConfig;
}

/** The circuit breakers (cross-module requests, gateway upstreams). */
export interface BreakersConfig {
  /** `BREAKER_ERROR_PERCENT`: open at this failure share… */
  readonly errorPercent: number;
  /** `BREAKER_MIN_REQUESTS`: …once this many calls were made in the 10 s window… */
  readonly minRequests: number;
  /** `BREAKER_RESET_MS`: …and fail fast this long before one trial call. */
  readonly resetMs: number;
}

/**
 * Logs and liveness. Tracing reads its own variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, validated
 * here) from the environment; `NODE_ENV` is only checked against `LOG_FORMAT`.
 */
export interface ObservabilityConfig {
  /** `LOG_LEVEL` */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `LOG_FORMAT` */
  readonly logFormat: 'json' | 'pretty';
  /** `OTEL_SERVICE_NAME`, else `cleave-<modules>`: the process' name in logs and traces. */
  readonly serviceName: string;
  /** `HEALTH_MAX_EVENT_LOOP_DELAY_MS`: liveness fails after a longer stall. */
  readonly maxEventLoopDelayMs: number;
}

/** The gateway of the split shape (`MODULES=gateway`). */
export interface GatewayConfig {
  /** `GATEWAY_UPSTREAMS`: each module's upstream, `http://host:port`. */
  readonly upstreams: Readonly<Partial<Record<BusinessModule, string>>>;
  /** `GATEWAY_TIMEOUT_MS`: the bound on one proxied request. */
  readonly timeoutMs: number;
}

/** DI tokens of the groups Nest providers inject (`ConfigModule` provides them). */
export const BUS_CONFIG = Symbol('BUS_CONFIG');
export const TOKENS_CONFIG = Symbol('TOKENS_CONFIG');
export const LOGINS_CONFIG = Symbol('LOGINS_CONFIG');
export const PASSWORDS_CONFIG = Symbol('PASSWORDS_CONFIG');
export const ADMIN_CONFIG = Symbol('ADMIN_CONFIG');
export const OUTBOX_CONFIG = Symbol('OUTBOX_CONFIG');
export const BREAKERS_CONFIG = Symbol('BREAKERS_CONFIG');
export const OBSERVABILITY_CONFIG = Symbol('OBSERVABILITY_CONFIG');
/** Each module's own database group, under its own token: a module is given its own only. */
export const DATABASE_CONFIG: Readonly<Record<BusinessModule, symbol>> = {
  auth: Symbol('AUTH_DATABASE_CONFIG'),
  user: Symbol('USER_DATABASE_CONFIG'),
  order: Symbol('ORDER_DATABASE_CONFIG'),
};
