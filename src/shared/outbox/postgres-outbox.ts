import type { QueryRunner } from 'typeorm';
import type { BusEvent } from '../bus/bus-event';

/**
 * The transactional outbox on Postgres (and PGlite), one table per module in the module's own
 * schema: this file creates it (migrations) and queues events into it (`withEvents`,
 * `QUEUE_EVENTS_SQL`). An event is written by the same statement (or transaction) as the state
 * change it describes; the relay (through `PostgresOutboxRepository`) publishes it and marks it
 * `sent`, retries with backoff, and parks it as `failed` after too many attempts (visible in
 * metrics, replayable with `npm run outbox -- replay`).
 */
export async function createOutboxTable(db: QueryRunner): Promise<void> {
  await db.query(`
    CREATE TABLE outbox (
      seq bigserial PRIMARY KEY,
      id uuid NOT NULL UNIQUE,
      type text NOT NULL,
      event jsonb NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      locked_until timestamptz,
      sent_at timestamptz,
      last_error text
    )`);
  await db.query(
    `CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, seq) WHERE status = 'pending'`,
  );
  await db.query(`CREATE INDEX outbox_failed_idx ON outbox (seq) WHERE status = 'failed'`);
}

/** Lets the relay find sent entries past their retention without scanning the table. */
export async function indexSentOutboxEntries(db: QueryRunner): Promise<void> {
  await db.query(`CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE status = 'sent'`);
}

/**
 * Lets the relay claim the oldest due entries by walking pending entries in `seq` order and
 * stopping after a batch, however long the backlog. The first index, on
 * `(next_attempt_at, seq)`, made every claim read and sort every due entry: 57 ms a claim with
 * 20,000 queued, so the relay slowed down as its backlog grew. The claim runs in
 * `outbox_claim`, whose `SET enable_bitmapscan = off` keeps the planner on that walk while the
 * table's statistics still say nothing is pending, as they do during the very burst that queued
 * the backlog (autovacuum analyses a minute or more later).
 */
export async function claimOutboxInSeqOrder(db: QueryRunner): Promise<void> {
  await db.query(`CREATE INDEX outbox_pending_seq_idx ON outbox (seq) WHERE status = 'pending'`);
  await db.query(`DROP INDEX outbox_pending_idx`);
  await db.query(`
    CREATE FUNCTION outbox_claim(batch integer, lease_ms float8) RETURNS SETOF outbox
    LANGUAGE sql SET enable_bitmapscan = off AS $$
      UPDATE outbox SET locked_until = now() + make_interval(secs => lease_ms / 1000),
                        attempts = attempts + 1
      WHERE seq IN (
        SELECT seq FROM outbox
        WHERE status = 'pending' AND next_attempt_at <= now()
          AND (locked_until IS NULL OR locked_until < now())
        ORDER BY seq LIMIT batch FOR UPDATE SKIP LOCKED)
      RETURNING *
    $$`);
}

/** Undoes `claimOutboxInSeqOrder`. */
export async function claimOutboxByDueTime(db: QueryRunner): Promise<void> {
  await db.query(`DROP FUNCTION outbox_claim(integer, float8)`);
  await db.query(
    `CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, seq) WHERE status = 'pending'`,
  );
  await db.query(`DROP INDEX outbox_pending_seq_idx`);
}

/**
 * Leaves half of each page of the outbox free, so that a claim's lease (`locked_until`,
 * `attempts`, neither indexed) is written beside the row it changes (a HOT update) rather than
 * as a new row version with an entry in every index. Claims over a backlog then skip fewer dead
 * index entries, and each leaves none. Measured on Postgres 15 with the claim and the settling
 * statements alone, draining 20,000 events in claims of 1,000 (twice each way): a claim took
 * 12-16 ms instead of 21-31 ms, and the claim and the settling together 24-34 µs an event
 * instead of 37-50 µs. Pages three-quarters full left room for a third of the leases. A page
 * takes half as many rows, on a table whose rows stay only for their retention. Pages written
 * before the change stay full (the table is not rewritten); their rows age out with retention.
 */
export async function outboxRoomForLeases(db: QueryRunner): Promise<void> {
  await db.query('ALTER TABLE outbox SET (fillfactor = 50)');
}

/** Undoes `outboxRoomForLeases`. */
export async function outboxPagesFull(db: QueryRunner): Promise<void> {
  await db.query('ALTER TABLE outbox RESET (fillfactor)');
}

/**
 * Wraps a data-changing statement (which must end in `RETURNING …`) so that `events` enter the
 * outbox in the same atomic statement, but only when the change touched a row. `$eventsParam`
 * is the placeholder number the caller reserves for the events' JSON. With `stampVersionAs`,
 * the change returns a `version` column, and each event's `data` gets it under that name: the
 * version the change gave the row, known only once it is made. The statement answers one row,
 * `changed`: how many rows the change touched.
 */
export function withEvents(
  changeSql: string,
  eventsParam: number,
  stampVersionAs?: string,
): string {
  return queueing(
    changeSql,
    eventsParam,
    stampVersionAs,
    'SELECT (SELECT count(*) FROM change)::int AS changed',
  );
}

/** `withEvents`, answering the rows the change returned (none when it touched none). */
export function withEventsReturning(
  changeSql: string,
  eventsParam: number,
  stampVersionAs?: string,
): string {
  return queueing(changeSql, eventsParam, stampVersionAs, 'SELECT * FROM change');
}

function queueing(
  changeSql: string,
  eventsParam: number,
  stampVersionAs: string | undefined,
  answer: string,
): string {
  const event = stampVersionAs
    ? `jsonb_set(e, '{data,${stampVersionAs}}', to_jsonb((SELECT version FROM change LIMIT 1)))`
    : 'e';
  return `
    WITH change AS (${changeSql}),
    queued AS (
      INSERT INTO outbox (id, type, event)
      SELECT (e->>'id')::uuid, e->>'type', ${event}
      FROM jsonb_array_elements($${eventsParam}::jsonb) AS e
      WHERE EXISTS (SELECT 1 FROM change)
      RETURNING 1
    )
    ${answer}`;
}

/** Queues the events of `$1` (a JSON array) inside a transaction the caller runs. */
export const QUEUE_EVENTS_SQL = `
  INSERT INTO outbox (id, type, event)
  SELECT (e->>'id')::uuid, e->>'type', e FROM jsonb_array_elements($1::jsonb) AS e`;

export function eventsParam(events: readonly BusEvent[]): string {
  return JSON.stringify(events);
}
