import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox on Postgres (and PGlite): which event each handler already applied,
 * `(handler, event_id)`, claimed in the same statement or transaction as the handler's effect
 * (`claimInbox`), so a redelivery changes nothing twice. A handler has one name, its durable
 * consumer's (`@EventPattern(pattern, { consumer })`), used as its inbox key.
 */
export async function createInboxTable(db: QueryRunner): Promise<void> {
  await db.query(`
    CREATE TABLE inbox (
      handler text NOT NULL,
      event_id uuid NOT NULL,
      handled_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (handler, event_id)
    )`);
}

/** Moves inbox entries from a handler's earlier key to its name (`from` → `to`). */
export async function renameInboxHandlers(
  db: QueryRunner,
  renames: Readonly<Record<string, string>>,
): Promise<void> {
  for (const [from, to] of Object.entries(renames)) {
    await db.query(`UPDATE inbox SET handler = $2 WHERE handler = $1`, [from, to]);
  }
}

/** A migration that moves inbox entries to the handlers' new names (and back on `down`). */
export function inboxRenameMigration(
  name: string,
  renames: Readonly<Record<string, string>>,
): new () => MigrationInterface {
  const back = Object.fromEntries(Object.entries(renames).map(([from, to]) => [to, from]));
  return class implements MigrationInterface {
    name = name;
    up = (db: QueryRunner) => renameInboxHandlers(db, renames);
    down = (db: QueryRunner) => renameInboxHandlers(db, back);
  };
}

/**
 * The inbox claim, one statement to run inside a transaction or to name in a `WITH`: enters the
 * `(handler, event_id)` pairs that `pairs` yields (`VALUES (…)` or a `SELECT` of two columns)
 * and returns, as `handler, event_id`, those no handler applied before. What it does not return
 * was handled already: the caller applies only what it returns.
 */
export function claimInbox(pairs: string): string {
  return `INSERT INTO inbox (handler, event_id) ${pairs} ON CONFLICT DO NOTHING RETURNING handler, event_id`;
}
