import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { EmbeddedPostgres } from '../../src/shared/persistence/embedded-postgres';
import { eventually } from '../support/api';
import { PGLITE_TEMPLATE } from '../support/pglite-template';

const dirs: string[] = [];
const acquired: EmbeddedPostgres[] = [];

/** The embedded instance of a new data directory, made from the template, with `outbox`. */
async function embedded(): Promise<EmbeddedPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'cleave-embedded-vacuum-'));
  dirs.push(dir);
  await cp(PGLITE_TEMPLATE, EmbeddedPostgres.directory(dir), { recursive: true });
  const db = await EmbeddedPostgres.acquire(dir);
  acquired.push(db);
  await db.exec(
    'public',
    `CREATE SCHEMA cleave_test;
     CREATE TABLE cleave_test.outbox (seq bigserial PRIMARY KEY, event jsonb NOT NULL)`,
  );
  return db;
}

/** `count` events queued, as the outbox queues them. */
const queue = (db: EmbeddedPostgres, count: number) =>
  db.exec(
    'cleave_test',
    `INSERT INTO outbox (event)
     SELECT jsonb_build_object('data', repeat('x', 500)) FROM generate_series(1, ${count})`,
  );

/** Every event removed, as the purge removes sent ones past their retention. */
const purge = (db: EmbeddedPostgres) => db.exec('cleave_test', 'DELETE FROM outbox');

/** The table's files, its index included (bytes). */
async function outboxBytes(db: EmbeddedPostgres): Promise<number> {
  const [row] = await db.query<{ bytes: string }>(
    'cleave_test',
    `SELECT pg_total_relation_size('outbox') AS bytes`,
    [],
  );
  return Number(row.bytes);
}

async function outboxStats(db: EmbeddedPostgres) {
  const [row] = await db.query<{ lastVacuum: Date | null; rows: number; statistics: string }>(
    'cleave_test',
    `SELECT s.last_vacuum AS "lastVacuum", c.reltuples AS rows,
            (SELECT count(*) FROM pg_stats WHERE schemaname = 'cleave_test') AS statistics
     FROM pg_stat_all_tables s JOIN pg_class c ON c.oid = s.relid
     WHERE s.schemaname = 'cleave_test' AND s.relname = 'outbox'`,
    [],
  );
  return { ...row, statistics: Number(row.statistics) };
}

afterEach(async () => {
  for (const db of acquired.splice(0)) await db.release();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * PGlite runs no autovacuum, so the embedded instance does its work: without it, an outbox
 * whose events are queued and then purged grows by their size for ever (8 rounds of 10,000
 * events: 49.5 MiB, against 1.3 MiB vacuumed).
 */
describe('the embedded Postgres vacuums and analyses its tables, as autovacuum would', () => {
  it('reuses the space of rows deleted: an outbox filled and purged again and again stays its size', async () => {
    const db = await embedded();
    const sizes: number[] = [];
    for (let round = 0; round < 6; round++) {
      await queue(db, 4000);
      await purge(db);
      const done = await db.maintain();
      expect(done.vacuumed).toContain('cleave_test.outbox');
      sizes.push(await outboxBytes(db));
    }
    // Unvacuumed, each round adds its 4,000 events' pages: the last size would be six times the
    // first. Vacuumed, the second round may still extend the table; after it, nothing grows.
    expect(sizes[5]).toBeLessThanOrEqual(2 * sizes[0]);
    expect(sizes.slice(2)).toEqual(sizes.slice(2).map(() => sizes[1]));
  });

  it('gives the planner statistics once enough of a table changed, and leaves a table alone that did not', async () => {
    const db = await embedded();
    await queue(db, 1000);
    const first = await db.maintain();
    expect(first.analysed).toContain('cleave_test.outbox');
    const stats = await outboxStats(db);
    expect(stats.rows).toBe(1000);
    expect(stats.statistics).toBeGreaterThan(0);

    await queue(db, 10); // 1 % of the table: below both thresholds
    const second = await db.maintain();
    expect(second.vacuumed).not.toContain('cleave_test.outbox');
    expect(second.analysed).not.toContain('cleave_test.outbox');
  });

  it('runs by itself, every interval, while statements go on', async () => {
    const db = await embedded();
    await queue(db, 2000);
    await purge(db);
    expect((await outboxStats(db)).lastVacuum).toBeNull();
    db.maintainEvery(20);
    // Statements take turns with the rounds: each of these is answered while they run.
    await eventually(async () => {
      await queue(db, 5);
      expect((await outboxStats(db)).lastVacuum).not.toBeNull();
    }, 15_000);
  });
});
