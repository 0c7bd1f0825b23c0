import type { Cursor } from '../../../shared/kernel/page';
import type { ModuleDatabase } from '../../../shared/persistence/module-database';
import { isUniqueViolation } from '../../../shared/persistence/pg-errors';
import {
  eventsParam,
  withEvents,
  withEventsReturning,
} from '../../../shared/outbox/postgres-outbox';
import type { ModuleOutbox } from '../../../shared/outbox/module-outbox';
import type { BusEvent } from '../../../shared/bus/bus-event';
import type { Role } from '../../../shared/security/security.contract';
import { EmailTaken } from '../user.errors';
import { normalizeEmail, type User, type UserCredentials } from '../user';
import { isUuid } from '../../../shared/kernel/uuid';
import { Batcher } from '../../../shared/persistence/batcher';
import { byKey, CoalescedReads, isPositiveInt4 } from '../../../shared/persistence/coalesced-reads';
import { claimInbox } from '../../../shared/outbox/postgres-inbox';
import { type UserChanges, UserRepository } from './user-repository';

/**
 * Every change to an account makes its next version (the column `version`), and the events it
 * queues carry it as `accountVersion` (see the user contract): readers apply only what is newer.
 */
const ACCOUNT_VERSION = 'accountVersion';

/** What a read of an account returns (`UserRow`). */
const USER_COLUMNS = `id, email, email_normalized, name, password_hash, roles, orders_total, orders_open,
  created_at, updated_at`;

/** The accounts on Postgres or embedded PGlite (`ModuleDatabase`): one statement per primitive. */
export class PostgresUserRepository extends UserRepository {
  constructor(
    private readonly db: ModuleDatabase,
    private readonly outbox: ModuleOutbox,
  ) {
    super();
  }

  async insert(user: User, passwordHash: string, events: readonly BusEvent[]): Promise<void> {
    try {
      await this.db.sql(
        'insert-user',
        withEvents(
          `INSERT INTO users (id, email, email_normalized, name, password_hash, roles, orders_total,
                              orders_open, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id, version`,
          11,
          ACCOUNT_VERSION,
        ),
        [
          user.id,
          user.email,
          normalizeEmail(user.email),
          user.name,
          passwordHash,
          user.roles,
          user.ordersTotal,
          user.ordersOpen,
          user.createdAt,
          user.updatedAt,
          eventsParam(events),
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTaken();
      throw error;
    }
    this.outbox.committed();
  }

  delivered(eventId: string, timeoutMs: number): Promise<boolean> {
    return this.outbox.delivered(eventId, timeoutMs);
  }

  async findById(id: string): Promise<User | null> {
    const raw = await this.rowById(id);
    return raw && toUser(raw);
  }

  async findByEmail(email: string): Promise<User | null> {
    const raw = await this.rowByEmail(email);
    return raw && toUser(raw);
  }

  async findCredentialsById(id: string): Promise<UserCredentials | null> {
    const raw = await this.rowById(id);
    return raw && toCredentials(raw);
  }

  async findCredentialsByEmail(email: string): Promise<UserCredentials | null> {
    const raw = await this.rowByEmail(email);
    return raw && toCredentials(raw);
  }

  /**
   * On every authenticated profile read and account check: one prepared statement, shared by
   * the reads of the same turn (`CoalescedReads`). A uuid in any letter case names its account.
   */
  private rowById(id: string): Promise<UserRow | null> {
    return isUuid(id) ? this.byId.read(id.toLowerCase()) : Promise.resolve(null);
  }

  private readonly byId = new CoalescedReads<UserRow | null>(
    async (id) => {
      const rows = await this.db.sql<UserRow>(
        'user-by-id',
        `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`,
        [id],
      );
      return rows[0] ?? null;
    },
    async (ids) => {
      const rows = await this.db.sql<UserRow>(
        'users-by-ids',
        `SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::uuid[])`,
        [`{${ids.join(',')}}`],
      );
      return byKey(rows, (row) => row.id);
    },
    null,
  );

  /** On every login: one prepared statement. */
  private async rowByEmail(email: string): Promise<UserRow | null> {
    const rows = await this.db.sql<UserRow>(
      'user-by-email',
      `SELECT ${USER_COLUMNS} FROM users WHERE email_normalized = $1`,
      [normalizeEmail(email)],
    );
    return rows[0] ?? null;
  }

  /** One statement: the change, its events and the account as it now is. */
  async update(
    id: string,
    changes: UserChanges,
    events: readonly BusEvent[] = [],
  ): Promise<User | null> {
    const [row] = await this.db.sql<UserRow>(
      'update-user',
      withEventsReturning(
        `UPDATE users SET name = COALESCE($2, name), password_hash = COALESCE($3, password_hash),
                          roles = COALESCE($4, roles), updated_at = $5, version = version + 1
         WHERE id = $1 RETURNING ${USER_COLUMNS}, version`,
        6,
        ACCOUNT_VERSION,
      ),
      [
        id,
        changes.name ?? null,
        changes.passwordHash ?? null,
        changes.roles ?? null,
        new Date(),
        eventsParam(events),
      ],
    );
    if (events.length > 0) this.outbox.committed();
    return row ? toUser(row) : null;
  }

  async delete(id: string, events: readonly BusEvent[]): Promise<boolean> {
    const [result] = await this.db.sql<{ changed: number }>(
      'delete-user',
      withEvents(
        `DELETE FROM users WHERE id = $1 RETURNING id, version + 1 AS version`,
        2,
        ACCOUNT_VERSION,
      ),
      [id, eventsParam(events)],
    );
    this.outbox.committed();
    return (result?.changed ?? 0) > 0;
  }

  /**
   * Newest first, keyset pagination on (created_at, id); one prepared statement per form. A first
   * page, the one most asked for, is read with the first pages asked for in the same turn
   * (`CoalescedReads`).
   */
  async list(limit: number, after?: Cursor): Promise<User[]> {
    const rows = after
      ? await this.db.sql<UserRow>(
          'users-page-after',
          `SELECT ${USER_COLUMNS} FROM users WHERE (created_at, id) < ($2, $3)
           ORDER BY created_at DESC, id DESC LIMIT $1`,
          [limit, after.createdAt, after.id],
        )
      : isPositiveInt4(limit)
        ? await this.firstPages.read(String(limit))
        : await this.firstPage(limit);
    return rows.map(toUser);
  }

  private firstPage(limit: number): Promise<UserRow[]> {
    return this.db.sql<UserRow>(
      'users-page',
      `SELECT ${USER_COLUMNS} FROM users ORDER BY created_at DESC, id DESC LIMIT $1`,
      [limit],
    );
  }

  /**
   * First pages by limit: alone, `firstPage`'s statement; together, the statement of the
   * longest, whose first rows are each shorter page (the order is total: (created_at, id)).
   */
  private readonly firstPages = new CoalescedReads<UserRow[]>(
    (limit) => this.firstPage(Number(limit)),
    async (limits) => {
      const rows = await this.firstPage(Math.max(...limits.map(Number)));
      return new Map(limits.map((limit) => [limit, rows.slice(0, Number(limit))]));
    },
    [],
  );

  /**
   * The inbox claim and the update are one statement. Events handled at the same time share it
   * (`Batcher`): a burst of order events costs a few statements rather than one each, all on the
   * same few account rows.
   */
  applyOrderEvent(
    handler: string,
    eventId: string,
    userId: string,
    totalDelta: number,
    openDelta: number,
  ): Promise<void> {
    return this.summaryWrites.add({ handler, eventId, userId, totalDelta, openDelta });
  }

  private readonly summaryWrites = new Batcher<OrderEventDelta>((deltas) =>
    this.db
      .sql(
        'apply-order-events',
        `WITH given AS (
           SELECT DISTINCT ON (handler, "eventId") *
           FROM jsonb_to_recordset($1::jsonb)
             AS d(handler text, "eventId" uuid, "userId" uuid, "totalDelta" int, "openDelta" int)
         ),
         claimed AS (${claimInbox('SELECT handler, "eventId" FROM given')}),
         summed AS (
           SELECT g."userId", sum(g."totalDelta")::int AS total, sum(g."openDelta")::int AS open
           FROM given g JOIN claimed c ON c.handler = g.handler AND c.event_id = g."eventId"
           GROUP BY g."userId"
         )
         UPDATE users SET orders_total = GREATEST(orders_total + summed.total, 0),
                          orders_open = GREATEST(orders_open + summed.open, 0)
         FROM summed WHERE users.id = summed."userId"`,
        [JSON.stringify(deltas)],
      )
      .then(() => undefined),
  );
}

/** One order event's effect on its buyer's summary, as one handler applies it. */
interface OrderEventDelta {
  handler: string;
  eventId: string;
  userId: string;
  totalDelta: number;
  openDelta: number;
}

/** A row of `users` as `USER_COLUMNS` reads it. */
interface UserRow {
  id: string;
  email: string;
  email_normalized: string;
  name: string;
  password_hash: string;
  roles: string[];
  orders_total: number;
  orders_open: number;
  created_at: Date;
  updated_at: Date;
}

function toUser(raw: UserRow): User {
  return {
    id: raw.id,
    email: raw.email,
    name: raw.name,
    // The column holds only the roles this module wrote.
    roles: raw.roles as Role[],
    ordersTotal: raw.orders_total,
    ordersOpen: raw.orders_open,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}

function toCredentials(raw: UserRow): UserCredentials {
  return { user: toUser(raw), passwordHash: raw.password_hash };
}
