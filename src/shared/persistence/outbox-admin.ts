import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';

/** What an operator needs to see of a parked (failed) outbox entry. */
export interface FailedEntry {
  id: string;
  type: string;
  attempts: number;
  createdAt: string;
  lastError: string | null;
}

type Run = <Row>(text: string, values: unknown[]) => Promise<Row[]>;

/**
 * Opens one module's outbox for the operator's command, on the module's Postgres schema or on
 * its embedded PGlite directory (the app must be stopped first: PGlite allows one process).
 */
export async function withOutbox<T>(
  target: { url?: string; dataDir: string; module: string; schema: string },
  work: (run: Run) => Promise<T>,
): Promise<T> {
  if (target.url) {
    const client = new Client({ connectionString: target.url, options: `-c search_path="${target.schema}"` });
    await client.connect();
    try {
      return await work(async <Row>(text: string, values: unknown[]) => (await client.query(text, values)).rows as Row[]);
    } finally {
      await client.end();
    }
  }
  const db = await PGlite.create(join(target.dataDir, target.module));
  try {
    await db.exec(`SET search_path TO "${target.schema}"`);
    return await work(async <Row>(text: string, values: unknown[]) => (await db.query<Row>(text, values)).rows);
  } finally {
    await db.close();
  }
}

export async function listFailed(run: Run): Promise<FailedEntry[]> {
  return run<FailedEntry>(
    `SELECT id, type, attempts, created_at AS "createdAt", last_error AS "lastError"
     FROM outbox WHERE status = 'failed' ORDER BY seq`,
    [],
  );
}

/** Puts parked entries (all, or the given event ids) back in line with a fresh attempt count. */
export async function replayFailed(run: Run, ids: string[]): Promise<number> {
  const rows = await run<{ id: string }>(
    `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL
     WHERE status = 'failed' AND (cardinality($1::uuid[]) = 0 OR id = ANY($1::uuid[]))
     RETURNING id`,
    [ids],
  );
  return rows.length;
}
