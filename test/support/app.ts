import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/shared/config/config';
import { PGLITE_TEMPLATE } from './pglite-template';
import { adminQuery, availableServices, SERVICES, StoreKind } from './services';

export const ADMIN = { email: 'admin@cleave.test', password: 'admin-password-1' };

export interface TestApp {
  /** `http://127.0.0.1:<port>`, for supertest. */
  url: string;
  app: NestFastifyApplication;
  dataDir: string;
  env: Record<string, string>;
  /** Stops the app; `keepData` leaves the data directory and database for a restart. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartOptions {
  store: StoreKind;
  env?: Record<string, string>;
  /** Reuse the data directory (and database) of an earlier app. */
  reuse?: TestApp;
}

/** Starts the one-process app on a loopback port, on its own data directory or database. */
export async function startTestApp(options: StartOptions): Promise<TestApp> {
  const dataDir = options.reuse?.dataDir ?? (await mkdtemp(join(tmpdir(), 'cleave-test-')));
  let database: string | undefined;
  let storeEnv: Record<string, string> = {};
  if (options.reuse) {
    storeEnv = pick(options.reuse.env, ['USER_DATABASE_URL', 'ORDER_DATABASE_URL', 'AUTH_REDIS_URL']);
  } else if (options.store === 'postgres') {
    database = `cleave_t_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${database}`);
    const url = withDatabase(SERVICES.postgres, database);
    storeEnv = { USER_DATABASE_URL: url, ORDER_DATABASE_URL: url };
    // The production shape: with real servers, auth state lives in Redis too.
    if (availableServices().has('redis')) storeEnv.AUTH_REDIS_URL = SERVICES.redis;
  } else {
    await Promise.all(['user', 'order'].map((m) => cp(PGLITE_TEMPLATE, join(dataDir, m), { recursive: true })));
  }
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    ...storeEnv,
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
    async close({ keepData = false } = {}) {
      if (closed) return;
      closed = true;
      await app.close();
      if (keepData) return;
      await rm(dataDir, { recursive: true, force: true });
      const db = database ?? databaseOf(env.USER_DATABASE_URL);
      if (db) await adminQuery(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    },
  };
}

function pick(env: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function databaseOf(url: string | undefined): string | undefined {
  return url ? new URL(url).pathname.slice(1) : undefined;
}

