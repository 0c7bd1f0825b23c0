import type { EntityManager } from 'typeorm';

/**
 * Records that `handler` has handled `eventId`, inside the caller's transaction. Returns false
 * when it already had: a redelivered event then changes nothing. Each module keeps its own
 * `inbox (handler, event_id)` table, created by its migrations.
 */
export async function claimEvent(
  manager: EntityManager,
  handler: string,
  eventId: string,
): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO inbox (handler, event_id) VALUES ($1, $2)
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [handler, eventId],
  );
  return rows.length === 1;
}
