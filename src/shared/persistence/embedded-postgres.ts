import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Real Postgres compiled to WebAssembly, kept under `dir`, served on a loopback port so that
 * TypeORM's ordinary `pg` driver talks to it. PGlite is one session: use a pool of one.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly port: number,
  ) {}

  /** PGlite ignores connection-time options, so the module's schema is set on its one session. */
  static async start(dir: string, schema: string): Promise<EmbeddedPostgres> {
    await mkdir(dir, { recursive: true });
    const db = await PGlite.create(dir);
    await db.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}"`);
    // The pool in front of it holds one connection, so transactions never interleave on
    // PGlite's single session; the server accepts a few, because with exactly one it drops
    // the connection after any statement error and refuses the reconnect for a moment.
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
    await server.start();
    const address = (server as unknown as { server: { address(): AddressInfo } }).server.address();
    return new EmbeddedPostgres(db, server, address.port);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
