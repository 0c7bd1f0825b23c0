import { existsSync } from 'node:fs';
import { cp, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { EmbeddedPostgres } from '../../src/shared/persistence/embedded-postgres';
import { ModuleDatabase } from '../../src/shared/persistence/module-database';
import { PGLITE_TEMPLATE } from '../support/pglite-template';

class CreateThings1700000000000 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE things (id serial PRIMARY KEY, label text NOT NULL)`);
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE things`);
  }
}

const dirs: string[] = [];
const opened: ModuleDatabase[] = [];

async function dataDir(template = true): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cleave-embedded-'));
  dirs.push(dir);
  if (template) await cp(PGLITE_TEMPLATE, EmbeddedPostgres.directory(dir), { recursive: true });
  return dir;
}

async function open(dir: string, module: string): Promise<ModuleDatabase> {
  const db = await ModuleDatabase.open({
    module,
    dataDir: dir,
    schema: `cleave_${module}`,
    migrations: [CreateThings1700000000000],
    timeoutMs: 5000,
  });
  opened.push(db);
  return db;
}

const labels = async (db: ModuleDatabase) =>
  (await db.sql<{ label: string }>('labels', 'SELECT label FROM things ORDER BY id', [])).map(
    (r) => r.label,
  );

afterEach(async () => {
  for (const db of opened.splice(0)) await db.onApplicationShutdown();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * One embedded Postgres per process serves every module on its own schema. PGlite is a single
 * session, so what one module sends must never land in another's transaction.
 */
describe('the embedded Postgres shared by the modules of a process', () => {
  it('keeps each module on its own tables, and one module’s transaction apart from the other’s statements', async () => {
    const dir = await dataDir();
    const [a, b] = [await open(dir, 'alpha'), await open(dir, 'beta')];
    let inside!: () => void;
    const holding = new Promise<void>((resolve) => (inside = resolve));
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));
    const rolledBack = a
      .transaction(async (query) => {
        await query(`INSERT INTO things (label) VALUES ('alpha, rolled back')`, []);
        inside();
        await finishing;
        throw new Error('roll it back');
      })
      .catch((error: Error) => error.message);
    await holding;
    // Beta's write waits for alpha's transaction rather than joining it.
    const written = b.sql('insert', `INSERT INTO things (label) VALUES ('beta')`, []);
    finish();
    expect(await rolledBack).toBe('roll it back');
    await written;
    expect(await labels(a)).toEqual([]);
    expect(await labels(b)).toEqual(['beta']);
  });

  it('creates an empty directory from the build’s template, or by initdb without one', async () => {
    const template = join(await dataDir(false), 'template.tgz');
    await EmbeddedPostgres.writeTemplate(template);
    for (const [file, expected] of [
      [template, 'created from the template'],
      [join(tmpdir(), 'no-such-template.tgz'), 'created by initdb'],
    ]) {
      const dir = await dataDir(false);
      const db = await EmbeddedPostgres.acquire(dir, file);
      try {
        expect(db.opened).toBe(expected);
        expect(await db.query('public', 'SELECT 1 + 1 AS two', [])).toEqual([{ two: 2 }]);
      } finally {
        await db.release();
      }
      const again = await EmbeddedPostgres.acquire(dir, file);
      expect(again.opened).toBe('opened');
      await again.release();
    }
  });

  it('copies a module’s data from the layout of release 0.1.0 (one instance per module) and keeps the old directory aside', async () => {
    // 0.1.0 kept each module under DATA_DIR/<module>: an instance with that module's schema.
    const old = await dataDir();
    const before = await open(old, 'alpha');
    await before.sql('a', `INSERT INTO things (label) VALUES ('one'), ('two')`, []);
    await before.onApplicationShutdown();
    opened.splice(opened.indexOf(before), 1);
    const dir = await dataDir();
    await rename(EmbeddedPostgres.directory(old), join(dir, 'alpha'));

    const after = await open(dir, 'alpha');
    expect(await labels(after)).toEqual(['one', 'two']);
    // Sequences go on from where they were: no id is handed out twice.
    await after.sql('b', `INSERT INTO things (label) VALUES ('three')`, []);
    const ids = await after.sql<{ id: number }>('ids', 'SELECT id FROM things ORDER BY id', []);
    expect(ids.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(existsSync(join(dir, 'alpha'))).toBe(false);
    expect(existsSync(join(dir, 'alpha.before-0.2.0', 'PG_VERSION'))).toBe(true);
  });
});
