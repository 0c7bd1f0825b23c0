import { mkdtemp, rm } from 'node:fs/promises';
import { jest } from '@jest/globals';
import { tmpdir } from 'node:os';
import type { QueryResultRow } from 'pg';
import { join } from 'node:path';
import type { DatabaseConfig } from '../../src/shared/config/app-config';
import { type BusinessModule, MODULE_REGISTRY } from '../../src/shared/modules/registry';
import { ModuleOutbox } from '../../src/shared/outbox/module-outbox';
import { ModuleDatabase } from '../../src/shared/persistence/module-database';
import type { OutboxRelay } from '../../src/shared/outbox/outbox-relay';
import type { OutboxRepository } from '../../src/shared/outbox/outbox-repository';
import { prepareDatabases } from './databases';
import { sharedFixture } from './fixture';
import { RecordingBus, testRelay } from './recording-bus';
import type { Shape } from './services';

/** How a module's picker opens its database and the adapters on it (`persistence/<m>-database.ts`). */
export interface ModulePicker<Db, Repository> {
  database(config: DatabaseConfig): Promise<Db>;
  outbox(db: Db): OutboxRepository;
  repository(db: Db, outbox: ModuleOutbox): Repository | Promise<Repository>;
}

export interface RepositoryFixture<Db, Repository> {
  db: Db;
  repository: Repository;
  /** Relays the module's outbox to `bus`, as the app's relay does. */
  relay: OutboxRelay;
  /** Every event the relay published. */
  bus: RecordingBus;
}

/**
 * A module's repository on a fresh, empty database of one shape, opened through the module's
 * own picker, with its outbox relayed: made before the enclosing `describe`'s tests, closed and
 * dropped after them.
 */
export function useRepository<Db extends { onApplicationShutdown(): Promise<void> }, Repository>(
  module: BusinessModule,
  shape: Exclude<Shape, 'split'>,
  open: ModulePicker<Db, Repository>,
): RepositoryFixture<Db, Repository> {
  let cleanup = (): Promise<void> => Promise.resolve();
  const fixture = sharedFixture(
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), `cleave-${module}-`));
      const databases = await prepareDatabases(shape, dataDir);
      const url = databases.env[MODULE_REGISTRY[module].databaseVariable];
      const db = await open.database({ url, dataDir, timeoutMs: 5000 });
      const bus = new RecordingBus();
      const relay = testRelay(module, open.outbox(db), bus);
      const repository = await open.repository(db, new ModuleOutbox(relay));
      relay.start();
      cleanup = async () => {
        await relay.stop();
        await db.onApplicationShutdown();
        await databases.cleanup();
        await rm(dataDir, { recursive: true, force: true });
      };
      return { db, repository, relay, bus };
    },
    () => cleanup(),
  );
  return fixture;
}

/** A named statement `work` ran through a `ModuleDatabase`'s `sql`, with its parameters. */
type Statement = { name: string; values: unknown[] };

/**
 * The named statements `work` ran through `db` (a `ModuleDatabase`'s `sql`), each with its
 * parameters: which of them were shared. Null on a database without named statements (MongoDB).
 */
export async function statementsOf(
  db: unknown,
  work: () => Promise<unknown>,
): Promise<Statement[] | null> {
  if (!(db instanceof ModuleDatabase)) {
    await work();
    return null;
  }
  return recorded(db, work);
}

/**
 * Runs `work` with the first `statement` that `db` (a `ModuleDatabase`) runs committing and then
 * failing, as when the connection drops before its answer arrives; the named statements `work`
 * ran, as `statementsOf` gives them.
 */
export function losingFirstAnswerOf(
  db: ModuleDatabase,
  statement: string,
  work: () => Promise<unknown>,
): Promise<Statement[]> {
  const run = db.sql.bind(db);
  let lost = false;
  return recorded(
    db,
    work,
    async <Row extends QueryResultRow>(
      name: string,
      text: string,
      values: unknown[],
    ): Promise<Row[]> => {
      const rows = await run<Row>(name, text, values);
      if (name !== statement || lost) return rows;
      lost = true;
      throw new Error('Connection terminated unexpectedly');
    },
  );
}

/** Runs `work` with `db.sql` watched (and replaced by `instead`, if given); what it ran. */
async function recorded(
  db: ModuleDatabase,
  work: () => Promise<unknown>,
  instead?: ModuleDatabase['sql'],
): Promise<Statement[]> {
  const sql = jest.spyOn(db, 'sql');
  if (instead) sql.mockImplementation(instead);
  try {
    await work();
    return sql.mock.calls.map(([name, , values]) => ({ name, values }));
  } finally {
    sql.mockRestore();
  }
}
