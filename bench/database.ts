import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { describe, log, settings } from './settings';

/** The run's own database, created fresh and dropped at the end. */
let bench: { name: string; url: string } | undefined;

function quoteIdent(name: string): string {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unexpected database name ${name}`);
  return `"${name}"`;
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the bench database; returns its URL. */
export async function createBenchDatabase(): Promise<string> {
  const name = `cleave_bench_${randomBytes(6).toString('hex')}`;
  await withClient(settings.pgAdminUrl, (client) =>
    client.query(`CREATE DATABASE ${quoteIdent(name)}`),
  );
  const url = new URL(settings.pgAdminUrl);
  url.pathname = `/${name}`;
  bench = { name, url: url.toString() };
  log(`created database ${name}`);
  return bench.url;
}

export function withBenchClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  if (!bench) throw new Error('the bench database is not created yet');
  return withClient(bench.url, fn);
}

export async function dropBenchDatabase(): Promise<void> {
  if (!bench) return;
  const { name } = bench;
  bench = undefined;
  try {
    await withClient(settings.pgAdminUrl, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
    );
    log(`dropped database ${name}`);
  } catch (error) {
    log(`could not drop database ${name}: ${describe(error)}`);
  }
}
