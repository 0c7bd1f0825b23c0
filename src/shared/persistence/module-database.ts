import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource, MigrationInterface } from 'typeorm';
import { ServiceUnavailable } from '../kernel/domain-error';
import {
  querySpans,
  traceQuery,
  type QuerySpans,
  type QueryTarget,
} from '../observability/query-spans';
import { importLegacyData } from './embedded-legacy';
import { EmbeddedPostgres } from './embedded-postgres';

export type TransactionQuery = <Row = Record<string, unknown>>(
  text: string,
  values: unknown[],
) => Promise<Row[]>;

export interface ModuleDatabaseOptions {
  /** The module that owns this database, e.g. `user`. */
  module: string;
  /** `postgres://…`; without it the process' embedded PGlite under `dataDir` serves. */
  url?: string;
  dataDir: string;
  /** The module's own schema; nobody else's tables live there. */
  schema: string;
  migrations: Array<new () => MigrationInterface>;
  /** Bound on every query and on connecting. */
  timeoutMs: number;
}

/**
 * One module's own connection: opened with its schema and migrations (never `synchronize`),
 * closed on shutdown, pinged by readiness.
 */
export class ModuleDatabase implements OnApplicationShutdown {
  private readonly logger: Logger;
  /** What each query span of a sampled trace says of this database. */
  private readonly querySpans: QuerySpans;

  private constructor(
    readonly module: string,
    readonly dataSource: DataSource,
    target: QueryTarget,
    private readonly embedded?: EmbeddedPostgres,
  ) {
    this.logger = new Logger(`${module}-db`);
    this.querySpans = querySpans(target);
  }

  static async open(options: ModuleDatabaseOptions): Promise<ModuleDatabase> {
    const logger = new Logger(`${options.module}-db`);
    const started = Date.now();
    let embedded: EmbeddedPostgres | undefined;
    if (options.url) {
      logger.log(`connecting to Postgres at ${describeUrl(options.url)}`);
    } else {
      logger.log(`opening embedded PGlite under ${EmbeddedPostgres.directory(options.dataDir)}`);
      const instance = await EmbeddedPostgres.acquire(options.dataDir);
      logger.log(`embedded PGlite ${instance.opened} in ${Date.now() - started} ms`);
      await instance
        .exec('public', `CREATE SCHEMA IF NOT EXISTS "${options.schema}"`)
        .catch(async (error: unknown) => {
          await instance.release();
          throw error;
        });
      embedded = instance;
    }
    const dataSource = new DataSource({
      type: 'postgres',
      url: options.url,
      migrations: options.migrations,
      migrationsTableName: 'migrations',
      migrationsTransactionMode: 'each',
      synchronize: false,
      applicationName: `cleave-${options.module}`,
      ...(embedded
        ? // In-process: nothing to connect to and no network to wait for, so no timeouts; the
          // module's pool leases the shared session on its own schema.
          { driver: embedded.driver(options.schema) }
        : {
            connectTimeoutMS: options.timeoutMs,
            extra: {
              max: 10,
              // Unqualified names resolve to the module's own schema on every pooled connection.
              options: `-c search_path="${options.schema}"`,
              statement_timeout: options.timeoutMs,
              query_timeout: options.timeoutMs + 500,
              connectionTimeoutMillis: options.timeoutMs,
            },
          }),
    });
    try {
      await dataSource.initialize();
      const migrate = async () => {
        await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
        const migrating = Date.now();
        const applied = await dataSource.runMigrations({ transaction: 'each' });
        logger.log(
          applied.length > 0
            ? `${applied.length} migration(s) applied in ${Date.now() - migrating} ms: ${applied.map((m) => m.name).join(', ')}`
            : 'schema up to date',
        );
      };
      // Embedded PGlite serves one process (and has one connection): nobody to wait for.
      if (embedded) {
        await migrate();
        await importLegacyData(embedded, { ...options, logger });
      } else await oneAtATime(dataSource, `cleave:migrate:${options.schema}`, logger, migrate);
    } catch (error) {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.release();
      throw error;
    }
    return new ModuleDatabase(options.module, dataSource, queryTarget(options), embedded);
  }

  /**
   * One statement on a hot path, as a named prepared statement straight on the pool that
   * TypeORM manages: no query building, no entity hydration, and Postgres parses it once per
   * connection. Migrations, transactions and everything else go through TypeORM.
   */
  sql<Row extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    return traceQuery(this.querySpans, text, () => this.prepared<Row>(name, text, values));
  }

  private async prepared<Row extends QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<Row[]> {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    if (this.embedded) {
      // Not `pool.query`: it hands a failed statement's error back with the client, and the pool
      // then replaces a client that is fine, while the in-process connection it shares with its
      // successor may still be delivering the failed statement's last messages. Unnamed, since
      // PGlite's one session outlives any client's cache of prepared statement names.
      const client = await pool.connect();
      try {
        return (await client.query<Row>(text, values)).rows;
      } finally {
        client.release();
      }
    }
    const result = await pool.query<Row>({ name: `${this.module}.${name}`, text, values });
    return result.rows;
  }

  /** Runs `work` in one transaction; its `query` runs statements inside it. */
  transaction<T>(work: (query: TransactionQuery) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) =>
      work(<Row>(text: string, values: unknown[]) =>
        traceQuery(this.querySpans, text, async () => {
          // The structured result gives rows for every statement (TypeORM's plain result is
          // `[rows, count]` for UPDATE and DELETE).
          const result = await manager.queryRunner!.query(text, values, true);
          return result.records as Row[];
        }),
      ),
    );
  }

  /** Readiness: one round trip. */
  async ping(): Promise<void> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new ServiceUnavailable(`The ${this.module} database`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
      await this.embedded?.release();
    } catch (error) {
      this.logger.error(`closing failed: ${String(error)}`);
    }
  }
}

/**
 * The database a module's query spans name: `<database>|<schema>` (OpenTelemetry's
 * `db.namespace` for PostgreSQL), and the server's host and port; the embedded PGlite's database
 * is `postgres`, on no server.
 */
function queryTarget(options: ModuleDatabaseOptions): QueryTarget {
  if (!options.url) return { namespace: `postgres|${options.schema}` };
  const url = new URL(options.url);
  const database = decodeURIComponent(url.pathname.slice(1)) || 'postgres';
  return {
    namespace: `${database}|${options.schema}`,
    // A URL naming no host connects through a local socket: no server address to give.
    ...(url.hostname && { address: url.hostname, port: Number(url.port) || 5432 }),
  };
}

/**
 * Runs `work` while holding a Postgres advisory lock named `name`, so that replicas starting
 * together against one database migrate one after the other (the later ones then find the
 * schema up to date). The lock is taken with `pg_try_advisory_lock` in a loop, not a blocking
 * call: waiting for another replica's migrations may take longer than any statement timeout.
 * It is a session lock on one connection, released when `work` ends or the connection closes.
 */
async function oneAtATime(
  dataSource: DataSource,
  name: string,
  logger: Logger,
  work: () => Promise<void>,
): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    let waitingSince: number | undefined;
    for (;;) {
      const [row] = (await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        name,
      ])) as Array<{ locked: boolean }>;
      if (row?.locked) break;
      if (waitingSince === undefined) {
        waitingSince = Date.now();
        logger.log('another replica is migrating this schema: waiting for it');
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    try {
      await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
  } finally {
    await runner.release();
  }
}

/** `host:port/database` of a Postgres URL, never its credentials. */
function describeUrl(url: string): string {
  try {
    const { host, pathname } = new URL(url);
    return `${host}${pathname}`;
  } catch {
    return 'the configured URL';
  }
}
