import Redis from 'ioredis';
import { Client } from 'pg';
import { probeMongo } from './mongo';
import { probeNats } from './nats';

/** The real servers the integration tests can use, and how to reach them. */
export const SERVICES = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redis: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15',
  nats: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  /** A real `mongod` when TEST_MONGO_URL is set; else the test server the global setup starts. */
  get mongo(): string {
    return process.env.TEST_MONGO_URL ?? '';
  },
};
export type ServiceName = keyof typeof SERVICES;

/**
 * Services named in REQUIRE_SERVICES: a run without them fails instead of skipping. Besides the
 * servers above: `container` (an engine that runs the image), `helm` (the CLI) and `release`
 * (the previous release, built from git history; see previous-release.ts).
 */
export function requiredServices(): Set<string> {
  return new Set(
    (process.env.REQUIRE_SERVICES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

export async function probe(name: ServiceName): Promise<string | undefined> {
  if (name === 'redis') return probeRedis();
  if (name === 'mongo') return SERVICES.mongo ? probeMongo(SERVICES.mongo) : 'no server started';
  if (name === 'nats') return probeNats(SERVICES.nats);
  const client = new Client({ connectionString: SERVICES[name], connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Set by the global setup: which services answered. */
export function availableServices(): Set<string> {
  return new Set((process.env.CLEAVE_TEST_AVAILABLE ?? '').split(',').filter(Boolean));
}

/** What the split shape runs on: its stores (users and orders, auth) and NATS between processes. */
export const SPLIT_SERVICES = ['postgres', 'redis', 'nats'];

/** A suite's skip reason, `needs …` naming what the global setup did not find; else false. */
export function missingServices(...names: string[]): string | false {
  const missing = names.filter((name) => !availableServices().has(name));
  return missing.length > 0 ? `needs ${missing.join(', ')}` : false;
}

/**
 * The shape an API suite runs the app in, by where it keeps its data: `pglite` everything
 * embedded; `postgres` users and orders on Postgres, auth on Redis; `mongo` the seed's
 * production shape: orders on MongoDB, users on Postgres, auth on Redis (each falling back to
 * the embedded database when its server is away); `split` the gateway in front of one process
 * per module on NATS, with the `postgres` databases.
 */
export type Shape = 'pglite' | 'postgres' | 'mongo' | 'split';

/** The shapes an API suite runs on: always embedded PGlite, then every shape whose servers answer. */
export function shapeTargets(): Shape[] {
  const available = availableServices();
  return [
    'pglite' as const,
    ...(available.has('postgres') ? ['postgres' as const] : []),
    ...(available.has('mongo') ? ['mongo' as const] : []),
    ...(['postgres', 'redis', 'nats'].every((s) => available.has(s)) ? ['split' as const] : []),
  ];
}

/** The databases a storage contract suite runs on (the split shape adds none of its own). */
export function databaseTargets(): Array<Exclude<Shape, 'split'>> {
  return shapeTargets().filter((s): s is Exclude<Shape, 'split'> => s !== 'split');
}

async function probeRedis(): Promise<string | undefined> {
  const redis = new Redis(SERVICES.redis, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    redis.disconnect();
  }
}

/** The session repository adapters a contract suite runs on: memory always, Redis if reachable. */
export function sessionRepositoryTargets(): Array<'memory' | 'redis'> {
  return availableServices().has('redis') ? ['memory', 'redis'] : ['memory'];
}

/** Runs one statement as the Postgres admin (creating and dropping per-test databases). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: SERVICES.postgres });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
