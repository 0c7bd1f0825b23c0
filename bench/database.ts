import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { describe, log, settings } from './settings';

/** The run's own database, created fresh and dropped at the end. */
let bench: { name: string; url: string } | undefined;
/** Other databases the run created (another system's, beside cleave's), dropped at the end too. */
const others = new Set<string>();

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
  bench = await createDatabase('cleave_bench');
  return bench.url;
}

/** A further fresh database (its name starts with `prefix`), dropped at the end; its URL. */
export async function createOtherDatabase(prefix: string): Promise<string> {
  const { name, url } = await createDatabase(prefix);
  others.add(name);
  return url;
}

async function createDatabase(prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(settings.pgAdminUrl, (client) =>
    client.query(`CREATE DATABASE ${quoteIdent(name)}`),
  );
  const url = new URL(settings.pgAdminUrl);
  url.pathname = `/${name}`;
  log(`created database ${name}`);
  return { name, url: url.toString() };
}

/** A query on a database the run created, by its URL. */
export function withDatabase<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  return withClient(url, fn);
}

export function withBenchClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  if (!bench) throw new Error('the bench database is not created yet');
  return withClient(bench.url, fn);
}

export async function dropBenchDatabase(): Promise<void> {
  const names = [...others];
  others.clear();
  if (bench) names.unshift(bench.name);
  bench = undefined;
  for (const name of names) await dropDatabase(name);
}

async function dropDatabase(name: string): Promise<void> {
  try {
    await withClient(settings.pgAdminUrl, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
    );
    log(`dropped database ${name}`);
  } catch (error) {
    log(`could not drop database ${name}: ${describe(error)}`);
  }
}
