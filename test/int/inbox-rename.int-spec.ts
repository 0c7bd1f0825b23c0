import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { PGlite } from '@electric-sql/pglite';
import type { QueryRunner } from 'typeorm';
import { InboxHandlerNames1733000000000 } from '../../src/modules/user/persistence/migrations/1733000000000-inbox-handler-names';
import { createInboxTable } from '../../src/shared/outbox/postgres-inbox';

/**
 * Handlers are named once (their durable consumer's name, also their inbox key). The migration
 * moves what the inbox already holds under the earlier keys, so an event applied before the
 * upgrade is still not applied twice after it.
 */
describe('the inbox migration to one name per handler', () => {
  it('moves entries to the new names, leaves others alone, and moves them back on down', async () => {
    const pg = new PGlite();
    const db = {
      query: (sql: string, params?: unknown[]) => pg.query(sql, params),
    } as unknown as QueryRunner;
    try {
      await createInboxTable(db);
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      await pg.query(
        `INSERT INTO inbox (handler, event_id) VALUES
           ('order-summary.created', $1), ('order-summary.cancelled', $2), ('someone-else', $3)`,
        [a, b, c],
      );
      const rows = async () =>
        (
          await pg.query<{ handler: string; event_id: string }>(
            'SELECT handler, event_id FROM inbox ORDER BY handler',
          )
        ).rows;
      const migration = new InboxHandlerNames1733000000000();
      await migration.up(db);
      expect(await rows()).toEqual([
        { handler: 'someone-else', event_id: c },
        { handler: 'user-order-summary-cancelled', event_id: b },
        { handler: 'user-order-summary-created', event_id: a },
      ]);
      await migration.down(db);
      expect(await rows()).toEqual([
        { handler: 'order-summary.cancelled', event_id: b },
        { handler: 'order-summary.created', event_id: a },
        { handler: 'someone-else', event_id: c },
      ]);
    } finally {
      await pg.close();
    }
  });
});
