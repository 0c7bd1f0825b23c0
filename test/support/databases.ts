import { randomBytes } from 'node:crypto';
import { cp } from 'node:fs/promises';
import { dropMongoDatabase, mongoDatabaseUrl } from './mongo';
import { PGLITE_TEMPLATE } from './pglite-template';
import { EmbeddedPostgres } from '../../src/shared/persistence/embedded-postgres';
import { adminQuery, availableServices, SERVICES, Shape } from './services';

export interface PreparedDatabases {
  /** USER_/ORDER_DATABASE_URL and AUTH_REDIS_URL as the shape needs; none for embedded. */
  env: Record<string, string>;
  /** Drops the databases made here. */
  cleanup(): Promise<void>;
}

/** Fresh, empty databases of one shape for an app (in-process or a real process) under `dataDir`. */
export async function prepareDatabases(
  store: Exclude<Shape, 'split'>,
  dataDir: string,
): Promise<PreparedDatabases> {
  const env: Record<string, string> = {};
  const drops: Array<() => Promise<void>> = [];
  const available = availableServices();
  // One embedded instance per process serves every module that has no server.
  const embedded = async () =>
    cp(PGLITE_TEMPLATE, EmbeddedPostgres.directory(dataDir), { recursive: true });
  const postgres = async () => {
    const database = `cleave_t_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${database}`);
    drops.push(() => adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    const url = new URL(SERVICES.postgres);
    url.pathname = `/${database}`;
    return url.toString();
  };
  if (store === 'pglite') {
    await embedded();
    return { env, cleanup: () => Promise.resolve() };
  }
  if (store === 'postgres') {
    env.USER_DATABASE_URL = env.ORDER_DATABASE_URL = await postgres();
  } else {
    if (available.has('postgres')) env.USER_DATABASE_URL = await postgres();
    else await embedded();
    env.ORDER_DATABASE_URL = mongoDatabaseUrl(SERVICES.mongo);
    const url = env.ORDER_DATABASE_URL;
    drops.push(() => dropMongoDatabase(url));
  }
  // The production shape: with real servers, auth state lives in Redis too.
  if (available.has('redis')) env.AUTH_REDIS_URL = SERVICES.redis;
  return {
    env,
    async cleanup() {
      for (const drop of drops) await drop();
    },
  };
}
