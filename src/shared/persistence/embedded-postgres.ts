import { mkdir, readdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Client, type ClientConfig } from 'pg';

/**
 * Real Postgres compiled to WebAssembly, running in this process, its files under `dir`.
 *
 * node-postgres (and so TypeORM) talks to it through PGlite's in-process connection, not a
 * socket. PGlite runs on this process' own thread: while one database initialises or migrates,
 * the event loop is busy, so any network-style timeout (connecting, waiting for the pool, a
 * query) would measure how busy the machine is rather than whether the database answers. With
 * no socket there is nothing to time out: a start-up on a loaded machine is slow, never fatal.
 *
 * PGlite is one session: node-postgres gets a pool of one client, kept for the life of the
 * process, so transactions never interleave and session settings (`search_path`) hold.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    /** Whether this start created the database (an empty directory): initdb ran. */
    readonly created: boolean,
  ) {}

  /** Opens (creating when empty) the database under `dir`, its session on `schema`. */
  static async open(dir: string, schema: string): Promise<EmbeddedPostgres> {
    await mkdir(dir, { recursive: true });
    const created = (await readdir(dir)).length === 0;
    const db = await PGlite.create(dir);
    try {
      await db.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}"`);
    } catch (error) {
      await db.close();
      throw error;
    }
    return new EmbeddedPostgres(db, created);
  }

  /**
   * Options for a node-postgres pool on this database: one client at a time, never closed for
   * idleness, with no connection or query timeouts. Should the pool ever replace its client,
   * the new one gets an in-process connection of its own, sharing nothing with the old one.
   */
  poolOptions(): Record<string, unknown> {
    const db = this.db;
    class EmbeddedClient extends Client {
      constructor(config: ClientConfig) {
        super({ ...config, connection: createPgConfig(db).connection } as ClientConfig);
      }
    }
    return { Client: EmbeddedClient, max: 1, idleTimeoutMillis: 0 };
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
