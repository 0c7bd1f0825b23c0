import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import * as pg from 'pg';
import { reasonOf } from '../observability/bus-context';

/**
 * Postgres settings sized for a database embedded in an application process, on top of
 * PGlite's own start parameters. PGlite zeroes its shared memory at start, so every megabyte of
 * `shared_buffers` is resident from the first second: the stock 128 MB made one instance about
 * 280 MB at idle, 16 MB about 160 MB. The data sets behind the embedded default are small, and
 * the operating system's page cache still holds the files.
 */
const EMBEDDED_SETTINGS = ['shared_buffers=16MB', 'maintenance_work_mem=16MB'];

const PGLITE_VERSION = (
  JSON.parse(
    readFileSync(
      join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;

/**
 * An initialised, empty data directory as a gzipped tarball, made by `npm run build` (and so in
 * the image) for the installed PGlite. A first start unpacks it instead of running initdb, which
 * PGlite does in a second, temporary Postgres instance: with the template a first start peaks
 * at about the memory of a later one (initdb took 540 MB at its peak, the template 270 MB) and
 * takes a second instead of four. Without it (a build that skipped it) initdb runs as before.
 */
export const EMBEDDED_TEMPLATE = join(__dirname, `pglite-template-${PGLITE_VERSION}.tgz`);

/** How often the embedded instance looks for tables to vacuum (autovacuum's default naptime). */
const EMBEDDED_VACUUM_CHECK_MS = 60_000;

/**
 * The tables autovacuum would vacuum or analyse now, by its own rules and settings: dead rows
 * past `autovacuum_vacuum_threshold` + `autovacuum_vacuum_scale_factor` × rows, rows inserted
 * since the last vacuum past the insert threshold, or a table old enough to need freezing
 * (`autovacuum_freeze_max_age`, `autovacuum_multixact_freeze_max_age`); changed rows past the
 * analyse threshold. The statistics it reads are the ones the previous statement flushed
 * (`pg_stat_force_next_flush()`): PGlite never idles as a server's backend does, the moment its
 * counts would otherwise be reported.
 */
const DUE_TABLES_SQL = `
  SELECT * FROM (
  SELECT s.schemaname AS schema, s.relname AS table,
    (s.n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float8
       + current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0)
     OR s.n_ins_since_vacuum > current_setting('autovacuum_vacuum_insert_threshold')::float8
       + current_setting('autovacuum_vacuum_insert_scale_factor')::float8 * greatest(c.reltuples, 0)
     OR age(c.relfrozenxid) > current_setting('autovacuum_freeze_max_age')::float8
     OR mxid_age(c.relminmxid) > current_setting('autovacuum_multixact_freeze_max_age')::float8)
      AS vacuum,
    s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
       + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
      AS analyze
  FROM pg_stat_all_tables s JOIN pg_class c ON c.oid = s.relid
  WHERE s.schemaname NOT IN ('pg_toast', 'information_schema')
  ) due
  WHERE due.vacuum OR due."analyze"
  ORDER BY due.schema, due."table"`;

/** What one maintenance round did: the tables it vacuumed and the ones it analysed. */
export interface Maintained {
  vacuumed: string[];
  analysed: string[];
}

/**
 * Real Postgres compiled to WebAssembly, running in this process, its files under
 * `<DATA_DIR>/postgres`: ONE instance per process, shared by every module that keeps its data
 * embedded, each in its own schema with its own migrations and its own node-postgres pool
 * (`driver(schema)`). One instance rather than one per module halves the memory the embedded
 * default needs: each instance holds its own copy of Postgres' code and shared memory.
 *
 * PGlite is ONE session: whatever one client sends runs in the same backend as the next
 * client's statements. So a client is leased for a whole checkout (a statement, or a
 * transaction from BEGIN to COMMIT) and nobody else's statement can land inside it; a lease for
 * another module first points the session's `search_path` at that module's schema, so
 * unqualified names resolve to its own tables, as on a server.
 *
 * node-postgres talks to it through PGlite's in-process connection, not a socket, on this
 * process' own thread: while the database initialises or migrates, the event loop is busy, so
 * any network-style timeout would measure how busy the machine is rather than whether the
 * database answers. With no socket there is nothing to time out.
 */
export class EmbeddedPostgres {
  private static readonly instances = new Map<string, Promise<EmbeddedPostgres>>();
  private static readonly logger = new Logger('embedded-postgres');

  private holders = 0;
  /** The maintenance timer (`maintainEvery`), and the round under way. */
  private maintenance?: NodeJS.Timeout;
  private maintaining?: Promise<unknown>;
  /** The last holder released it: no maintenance round starts another table. */
  private closing = false;
  private tail: Promise<void> = Promise.resolve();
  private sessionSchema?: string;
  /** A lease ended in an error: the session may still be inside that holder's transaction. */
  private mayBeInTransaction = false;

  private constructor(
    private readonly db: PGlite,
    readonly dir: string,
    /** How this start found the directory: empty (created from the template or by initdb) or not. */
    readonly opened: 'created from the template' | 'created by initdb' | 'opened',
  ) {}

  /** The directory of the embedded instance under `dataDir`. */
  static directory(dataDir: string): string {
    return join(dataDir, 'postgres');
  }

  /**
   * The process' instance under `dataDir`, opened (and created when the directory is empty) by
   * the first module that asks; `release()` once per `acquire`, the last closes it.
   */
  static async acquire(dataDir: string, template = EMBEDDED_TEMPLATE): Promise<EmbeddedPostgres> {
    const dir = EmbeddedPostgres.directory(dataDir);
    let opening = EmbeddedPostgres.instances.get(dir);
    if (!opening) {
      opening = EmbeddedPostgres.open(dir, template);
      EmbeddedPostgres.instances.set(dir, opening);
      opening.catch(() => EmbeddedPostgres.instances.delete(dir));
    }
    const instance = await opening;
    instance.holders += 1;
    return instance;
  }

  private static async open(dir: string, template: string): Promise<EmbeddedPostgres> {
    await mkdir(dir, { recursive: true });
    const empty = (await readdir(dir)).length === 0;
    const fromTemplate = empty && existsSync(template);
    const db = await PGlite.create(dir, {
      ...EmbeddedPostgres.startOptions(),
      ...(fromTemplate && { loadDataDir: new Blob([await readFile(template)]) }),
    });
    const opened = !empty
      ? 'opened'
      : fromTemplate
        ? 'created from the template'
        : 'created by initdb';
    const instance = new EmbeddedPostgres(db, dir, opened);
    instance.maintainEvery(EMBEDDED_VACUUM_CHECK_MS);
    return instance;
  }

  /** How every embedded instance is started (see `EMBEDDED_SETTINGS`). */
  static startOptions(): { startParams: string[] } {
    return {
      startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((s) => ['-c', s])],
    };
  }

  /** Writes the template of an empty data directory to `file` (see `EMBEDDED_TEMPLATE`). */
  static async writeTemplate(file = EMBEDDED_TEMPLATE): Promise<void> {
    const db = await PGlite.create(EmbeddedPostgres.startOptions());
    try {
      const tarball = await db.dumpDataDir('gzip');
      await writeFile(file, Buffer.from(await tarball.arrayBuffer()));
    } finally {
      await db.close();
    }
  }

  /**
   * A node-postgres module (for TypeORM's `driver` option) whose pools lease this instance's
   * session for `schema`: one client per pool, never closed for idleness, with no connection or
   * query timeouts. Should a pool replace its client, the new one gets an in-process connection
   * of its own onto the same session.
   */
  driver(schema: string): typeof pg {
    const db = this.db;
    const lease = (client: pg.PoolClient) => this.lease(client, schema);
    class EmbeddedClient extends pg.Client {
      constructor(config?: pg.ClientConfig) {
        super({ ...config, connection: createPgConfig(db).connection } as pg.ClientConfig);
      }
    }
    class LeasingPool extends pg.Pool {
      constructor(config: pg.PoolConfig) {
        super({ ...config, Client: EmbeddedClient, max: 1, idleTimeoutMillis: 0 });
      }
      override connect(): Promise<pg.PoolClient>;
      override connect(
        callback: (err: Error | undefined, client: pg.PoolClient, done: () => void) => void,
      ): void;
      override connect(
        callback?: (err: Error | undefined, client: pg.PoolClient, done: () => void) => void,
      ): Promise<pg.PoolClient> | void {
        const leased = super.connect().then(lease);
        if (!callback) return leased;
        leased.then(
          (client) => callback(undefined, client, () => client.release()),
          (error: Error) => callback(error, undefined as unknown as pg.PoolClient, () => {}),
        );
      }
    }
    return { ...pg, Pool: LeasingPool, Client: EmbeddedClient };
  }

  /** Runs `sql` (one or more statements, no parameters) on `schema`, between leases. */
  async exec(schema: string, sql: string): Promise<void> {
    await this.withSession(schema, (db) => db.exec(sql));
  }

  /** One statement on `schema`, between leases (for operators' tools). */
  query<Row>(schema: string, text: string, values: unknown[]): Promise<Row[]> {
    return this.withSession(schema, async (db) => (await db.query<Row>(text, values)).rows);
  }

  /** Runs `work` on the session, pointed at `schema`, between leases. */
  async withSession<T>(schema: string, work: (db: PGlite) => Promise<T>): Promise<T> {
    const end = await this.take();
    try {
      await this.prepare(schema);
      return await work(this.db);
    } catch (error) {
      this.mayBeInTransaction = true;
      throw error;
    } finally {
      end();
    }
  }

  /**
   * Waits for the session (first come, first served), points it at `schema`, and makes the
   * client's `release` end the lease. A pool hands out its one client before the lease is
   * taken, so at most one client per pool is ever waiting here.
   */
  private async lease(client: pg.PoolClient, schema: string): Promise<pg.PoolClient> {
    const end = await this.take();
    try {
      await this.prepare(schema);
    } catch (error) {
      client.release(error as Error);
      end();
      throw error;
    }
    const release = client.release.bind(client);
    let released = false;
    client.release = (error?: Error | boolean) => {
      if (released) return;
      released = true;
      if (error) this.mayBeInTransaction = true;
      release(error);
      end();
    };
    return client;
  }

  /** The session, once whoever holds it now is done; call the result to hand it on. */
  private async take(): Promise<() => void> {
    let end!: () => void;
    const previous = this.tail;
    this.tail = new Promise((resolve) => (end = resolve));
    await previous;
    return end;
  }

  private async prepare(schema: string): Promise<void> {
    if (this.mayBeInTransaction) {
      // On a server, the failed client's connection closing would have ended its transaction.
      this.sessionSchema = undefined;
      await this.db.exec('ROLLBACK');
      this.mayBeInTransaction = false;
    }
    if (this.sessionSchema !== schema) {
      this.sessionSchema = undefined;
      await this.db.exec(`SET search_path TO "${schema}"`);
      this.sessionSchema = schema;
    }
  }

  /**
   * Vacuums and analyses, every `everyMs`, the tables autovacuum would (`DUE_TABLES_SQL`), until
   * the database closes; again with another interval replaces the first. PGlite runs no
   * autovacuum: without this, the space of deleted and updated rows (sent outbox entries past
   * their retention, orders whose status changed) is never reused, and the files grow with every
   * event for as long as the process lives; nor does anything give the planner statistics.
   */
  maintainEvery(everyMs: number): void {
    clearInterval(this.maintenance);
    this.maintenance = setInterval(() => {
      if (this.maintaining) return;
      this.maintaining = this.maintain()
        .catch((error: unknown) =>
          EmbeddedPostgres.logger.warn(
            `vacuuming the embedded database failed: ${reasonOf(error)}`,
          ),
        )
        .finally(() => (this.maintaining = undefined));
    }, everyMs);
    this.maintenance.unref();
  }

  /**
   * One round: each table due is vacuumed, analysed or both, in a lease of its own, so that the
   * statements of requests take turns with it (first come, first served) rather than waiting for
   * the whole round. A VACUUM holds the session while it runs: it scans only the pages changed
   * since the last one, so the more often it runs, the less each run holds up.
   */
  async maintain(): Promise<Maintained> {
    const due = await this.withSession('public', async (db) => {
      await db.query('SELECT pg_stat_force_next_flush()');
      return (
        await db.query<{ schema: string; table: string; vacuum: boolean; analyze: boolean }>(
          DUE_TABLES_SQL,
        )
      ).rows;
    });
    const done: Maintained = { vacuumed: [], analysed: [] };
    for (const { schema, table, vacuum, analyze } of due) {
      if (this.closing) break;
      const name = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`;
      const statement = vacuum ? `VACUUM${analyze ? ' (ANALYZE)' : ''} ${name}` : `ANALYZE ${name}`;
      const started = performance.now();
      await this.withSession('public', (db) => db.exec(statement));
      EmbeddedPostgres.logger.debug(
        `${statement} in ${Math.round(performance.now() - started)} ms`,
      );
      if (vacuum) done.vacuumed.push(`${schema}.${table}`);
      if (analyze) done.analysed.push(`${schema}.${table}`);
    }
    return done;
  }

  /** One holder is done; the last one stops the maintenance and closes the database. */
  async release(): Promise<void> {
    this.holders -= 1;
    if (this.holders > 0) return;
    EmbeddedPostgres.instances.delete(this.dir);
    this.closing = true;
    clearInterval(this.maintenance);
    await this.maintaining;
    if (!this.db.closed) await this.db.close();
  }
}
