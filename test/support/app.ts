import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/shared/config/config';
import type { Shape } from './services';
import { ConformanceProxy } from './conformance';
import { sharedFixture } from './fixture';
import { startSplitApp } from './split';
import { PreparedDatabases, prepareDatabases } from './databases';

export const ADMIN = { email: 'admin@cleave.test', password: 'admin-password-1' };

/**
 * What every app under test is configured with, in one process or many: the seeded admin, and
 * rate limits no test reaches unless it sets its own.
 */
export const TEST_SETTINGS: Record<string, string> = {
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  RATE_LIMIT_PER_TOKEN_PER_MINUTE: '100000',
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000',
};

export interface TestApp {
  /**
   * `http://127.0.0.1:<port>`, for supertest and fetch: through the live contract check (see
   * conformance.ts), unless the app was started with `conformance: false`.
   */
  url: string;
  /** The app's own address, for bytes no HTTP client would send (raw-http, the fuzz test). */
  directUrl?: string;
  /** The in-process application (not for the split shape, which runs real processes). */
  app?: NestFastifyApplication;
  dataDir: string;
  env: Record<string, string>;
  /** The databases this app (and any restart of it) uses. */
  stores?: PreparedDatabases;
  /** Stops the app; `keepData` leaves the data directory and database for a restart. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartOptions {
  store: Shape;
  env?: Record<string, string>;
  /** Reuse the data directory (and database) of an earlier app. */
  reuse?: TestApp;
  /** Changes the store URLs the app gets (e.g. to go through a fault-injecting proxy). */
  routeStores?: (env: Record<string, string>) => Promise<Record<string, string>>;
  /**
   * Every request and answer through `url` is checked against openapi.json, and `close()` fails
   * on the first that breaks it (default). `false` only for a suite that is not about the API.
   */
  conformance?: boolean;
}

/**
 * Starts the one-process app (or, with `store: 'split'`, the split shape's processes and gateway)
 * on loopback, on its own data directory or database, behind the live contract check.
 */
export async function startTestApp(options: StartOptions): Promise<TestApp> {
  const app = await startUnchecked(options);
  if (options.conformance === false) return app;
  const label = options.store === 'split' ? 'split' : `one process, ${options.store}`;
  const proxy = await ConformanceProxy.start(app.url, label).catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  const close = app.close.bind(app);
  return Object.assign(app, {
    url: proxy.url,
    directUrl: app.url,
    async close(closeOptions?: { keepData?: boolean }) {
      try {
        await close(closeOptions);
      } finally {
        await proxy.close();
      }
    },
  });
}

/**
 * The app the tests of the enclosing `describe` share, started (as `startTestApp`) before them
 * and closed after them. It is filled in by `beforeAll`: read it in hooks and tests.
 */
export function useTestApp(options: StartOptions): TestApp {
  return sharedFixture(
    () => startTestApp(options),
    (app) => app.close(),
  );
}

async function startUnchecked(options: StartOptions): Promise<TestApp> {
  if (options.store === 'split') return startSplitApp(options.env);
  const dataDir = options.reuse?.dataDir ?? (await mkdtemp(join(tmpdir(), 'cleave-test-')));
  let stores: PreparedDatabases | undefined;
  let databaseEnv: Record<string, string>;
  if (options.reuse) {
    databaseEnv = pick(options.reuse.env, [
      'USER_DATABASE_URL',
      'ORDER_DATABASE_URL',
      'AUTH_REDIS_URL',
    ]);
    stores = options.reuse.stores;
  } else {
    stores = await prepareDatabases(options.store, dataDir);
    databaseEnv = options.routeStores ? await options.routeStores(stores.env) : stores.env;
  }
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...TEST_SETTINGS,
    ...databaseEnv,
    ...options.env,
  };
  const app = await createApp(loadConfig(env));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  let closed = false;
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    dataDir,
    env,
    stores,
    async close({ keepData = false } = {}) {
      if (closed) return;
      closed = true;
      await app.close();
      if (keepData) return;
      await rm(dataDir, { recursive: true, force: true });
      await stores?.cleanup();
    },
  };
}

function pick(env: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}
