import { afterAll, describe, expect } from '@jest/globals';
import { itOrSkip } from '../../support/skip';
import mongoose from 'mongoose';
import { Client } from 'pg';
import { ADMIN } from '../../support/app';
import { dropNatsNamespace, natsNamespace } from '../../support/nats';
import { AppProcess } from '../../support/process';
import { availableServices, SERVICES } from '../../support/services';

const REPLICAS = 4;
const available = availableServices();
const needs = (...servers: string[]) => {
  const missing = servers.filter((s) => !available.has(s));
  return missing.length > 0 ? `${missing.join(', ')} unreachable` : false;
};

/**
 * In Kubernetes 2 to 20 replicas of a module start at once against one database. Here four
 * start at the same moment on an empty one: every replica becomes ready, each migration is
 * applied exactly once, the admin bootstrap makes one admin, and the MongoDB indexes are built.
 */
describe(`${REPLICAS} replicas of one module starting together`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  /** The split shape's common environment on fresh stores, and an auth process to ask. */
  const prepare = async (store: 'postgres' | 'mongo') => {
    const data = await AppProcess.prepare(store);
    cleanups.push(() => data.cleanup());
    const namespace = natsNamespace();
    cleanups.push(() => dropNatsNamespace(SERVICES.nats, namespace));
    const env: Record<string, string> = {
      ...data.env,
      TRANSPORT: 'nats',
      NATS_URL: SERVICES.nats,
      NATS_NAMESPACE: namespace,
      AUTH_REDIS_URL: SERVICES.redis,
    };
    const auth = await AppProcess.start({ ...env, MODULES: 'auth' });
    cleanups.push(() => auth.kill());
    return env;
  };

  /** Starts the replicas at the same moment; every one is killed at the end, ready or not. */
  const startTogether = async (env: Record<string, string>) => {
    const started = await Promise.allSettled(
      Array.from({ length: REPLICAS }, () =>
        AppProcess.start(
          { ...env, LOG_LEVEL: 'info' },
          { captureLogs: true, readyWithinMs: 120_000 },
        ),
      ),
    );
    const replicas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    for (const replica of replicas) cleanups.push(() => replica.kill());
    const failures = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    expect({ notReady: failures }).toEqual({ notReady: [] });
    return replicas;
  };

  const query = async <Row>(url: string, sql: string): Promise<Row[]> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end();
    }
  };

  itOrSkip(
    'user module on Postgres: all ready, every migration applied once, one admin',
    needs('postgres', 'redis', 'nats'),
    async () => {
      const env = await prepare('postgres');
      const replicas = await startTogether({ ...env, MODULES: 'user' });
      const url = env.USER_DATABASE_URL;
      const migrations = await query<{ name: string; n: string }>(
        url,
        'SELECT name, count(*) AS n FROM cleave_user.migrations GROUP BY name ORDER BY name',
      );
      expect(migrations.map((m) => [m.name, Number(m.n)])).toEqual([
        ['AccountVersion1734000000000', 1],
        ['CreateUsers1732500000000', 1],
        ['InboxHandlerNames1733000000000', 1],
        ['UserOutbox1732600000000', 1],
        ['UserOutboxClaim1735000000000', 1],
        ['UserOutboxRetention1732700000000', 1],
        ['UserOutboxRoomForLeases1736000000000', 1],
      ]);
      const admins = await query<{ email: string }>(
        url,
        "SELECT email FROM cleave_user.users WHERE 'admin' = ANY(roles)",
      );
      expect(admins).toEqual([{ email: ADMIN.email }]);
      // One replica migrated; the others waited for it and found the schema up to date.
      const said = replicas.map((r) => r.logLines.join('\n'));
      expect(said.filter((text) => /\d+ migration\(s\) applied/.test(text))).toHaveLength(1);
      expect(said.filter((text) => /schema up to date/.test(text))).toHaveLength(REPLICAS - 1);
    },
  );

  itOrSkip(
    'order module on Postgres: all ready, every migration applied once',
    needs('postgres', 'redis', 'nats'),
    async () => {
      const env = await prepare('postgres');
      await startTogether({ ...env, MODULES: 'order' });
      const migrations = await query<{ n: string }>(
        env.ORDER_DATABASE_URL,
        'SELECT count(*) AS n FROM cleave_order.migrations GROUP BY name',
      );
      // Each migration once: none run twice by replicas racing.
      expect(migrations.length).toBeGreaterThan(0);
      expect(migrations.filter((m) => Number(m.n) !== 1)).toEqual([]);
    },
  );

  itOrSkip(
    'order module on MongoDB: all ready, its indexes built',
    needs('mongo', 'redis', 'nats'),
    async () => {
      const env = await prepare('mongo');
      const replicas = await startTogether({ ...env, MODULES: 'order' });
      const connection = await mongoose.createConnection(env.ORDER_DATABASE_URL).asPromise();
      try {
        const indexes = await connection.db!.collection('orders').indexes();
        const names = indexes.map((i) => i.name).sort();
        expect(new Set(names).size).toBe(names.length);
        expect(names.length).toBeGreaterThan(1);
      } finally {
        await connection.close();
      }
      for (const replica of replicas) {
        expect((await fetch(`${replica.url}/ready`)).status).toBe(200);
      }
    },
  );
});
