import type { QueryResultRow } from 'pg';
import type { OutboxStats } from './outbox-metrics';
import {
  OutboxRepository,
  type BatchOutcome,
  type ClaimedBatch,
  type ClaimedEvent,
  type FailedEntry,
} from './outbox-repository';

/** Runs one statement: a module database's pool, or an operator's own connection. */
export type RunSql = <Row extends QueryResultRow>(
  name: string,
  text: string,
  values: unknown[],
) => Promise<Row[]>;

/**
 * The outbox table of a module's Postgres (or PGlite) schema (`postgres-outbox.ts` creates it and
 * queues events into it).
 */
export class PostgresOutboxRepository extends OutboxRepository {
  constructor(private readonly run: RunSql) {
    super();
  }

  async claim(limit: number, leaseMs: number): Promise<ClaimedBatch> {
    // `outbox_claim` (postgres-outbox.ts): the oldest due entries, leased for `leaseMs`.
    const rows = await this.run<ClaimedEvent & { seq: string }>(
      'outbox-claim-in-order',
      `SELECT seq, id, event, attempts FROM outbox_claim($1, $2)`,
      [limit, leaseMs],
    );
    const entries = rows
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map(({ id, event, attempts }) => ({ id, event, attempts }));
    return { entries, full: rows.length === limit, settle: (outcome) => this.settle(outcome) };
  }

  private async settle(outcome: BatchOutcome): Promise<void> {
    if (outcome.sent.length > 0) {
      await this.run(
        'outbox-sent',
        `UPDATE outbox SET status = 'sent', sent_at = now(), locked_until = NULL, last_error = NULL
         WHERE id = ANY($1::uuid[])`,
        [outcome.sent.map((e) => e.id)],
      );
    }
    for (const { entry, park, retryInMs, error } of outcome.failed) {
      await this.run(
        'outbox-failed',
        `UPDATE outbox SET status = CASE WHEN $2 THEN 'failed' ELSE 'pending' END,
           next_attempt_at = now() + make_interval(secs => $3::float8 / 1000),
           locked_until = NULL, last_error = $4
         WHERE id = $1`,
        [entry.id, park, retryInMs, error],
      );
    }
    if (outcome.released.length > 0) {
      await this.run(
        'outbox-release',
        `UPDATE outbox SET locked_until = NULL, attempts = attempts - 1 WHERE id = ANY($1::uuid[])`,
        [outcome.released.map((e) => e.id)],
      );
    }
  }

  async stats(): Promise<OutboxStats> {
    // Each figure can come from its own partial index (pending, failed): the backlog, not the
    // sent entries kept for their retention. The planner takes them once the table has been
    // analysed: by autovacuum, or on PGlite by the embedded instance (`EmbeddedPostgres.maintain`).
    const [row] = await this.run<{ pending: number; failed: number; oldest: number | null }>(
      'outbox-stats',
      `SELECT p.pending, f.failed, p.oldest
       FROM (SELECT count(*)::int AS pending,
                    extract(epoch FROM now() - min(created_at))::float8 AS oldest
             FROM outbox WHERE status = 'pending') p,
            (SELECT count(*)::int AS failed FROM outbox WHERE status = 'failed') f`,
      [],
    );
    return {
      pending: row?.pending ?? 0,
      failed: row?.failed ?? 0,
      oldestPendingSeconds: row?.oldest ?? 0,
    };
  }

  async listFailed(): Promise<FailedEntry[]> {
    const rows = await this.run<Omit<FailedEntry, 'createdAt'> & { createdAt: Date | string }>(
      'outbox-list-failed',
      `SELECT id, type, attempts, created_at AS "createdAt", last_error AS "lastError"
       FROM outbox WHERE status = 'failed' ORDER BY seq`,
      [],
    );
    return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
  }

  async replay(ids: readonly string[]): Promise<number> {
    const rows = await this.run<{ id: string }>(
      'outbox-replay',
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL
       WHERE status = 'failed' AND (cardinality($1::uuid[]) = 0 OR id = ANY($1::uuid[]))
       RETURNING id`,
      [ids],
    );
    return rows.length;
  }

  async purgeSent(retentionMs: number, limit: number): Promise<number> {
    const rows = await this.run<{ n: number }>(
      'outbox-purge',
      `WITH gone AS (
         DELETE FROM outbox WHERE seq IN (
           SELECT seq FROM outbox
           WHERE status = 'sent' AND sent_at < now() - make_interval(secs => $1::float8 / 1000)
           LIMIT $2)
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [retentionMs, limit],
    );
    return rows[0]?.n ?? 0;
  }
}
