import type { DatabaseConfig } from '../../../shared/config/app-config';
import { ModuleDatabase } from '../../../shared/persistence/module-database';
import { MODULE_REGISTRY } from '../../../shared/modules/registry';
import type { ModuleOutbox } from '../../../shared/outbox/module-outbox';
import type { OutboxRepository } from '../../../shared/outbox/outbox-repository';
import { PostgresOutboxRepository } from '../../../shared/outbox/postgres-outbox-repository';
import { CreateUsers1732500000000 } from './migrations/1732500000000-create-users';
import { UserOutbox1732600000000 } from './migrations/1732600000000-user-outbox';
import { UserOutboxRetention1732700000000 } from './migrations/1732700000000-user-outbox-retention';
import { InboxHandlerNames1733000000000 } from './migrations/1733000000000-inbox-handler-names';
import { AccountVersion1734000000000 } from './migrations/1734000000000-account-version';
import { UserOutboxClaim1735000000000 } from './migrations/1735000000000-outbox-claim-in-seq-order';
import { UserOutboxRoomForLeases1736000000000 } from './migrations/1736000000000-outbox-room-for-leases';
import { PostgresUserRepository } from './postgres-user-repository';
import type { UserRepository } from './user-repository';

/** The user module's own database: Postgres for `USER_DATABASE_URL`, else embedded PGlite. */
export function openUserDatabase(config: DatabaseConfig): Promise<ModuleDatabase> {
  return ModuleDatabase.open({
    module: 'user',
    url: config.url,
    dataDir: config.dataDir,
    schema: MODULE_REGISTRY.user.outbox.schema,
    migrations: [
      CreateUsers1732500000000,
      UserOutbox1732600000000,
      UserOutboxRetention1732700000000,
      InboxHandlerNames1733000000000,
      AccountVersion1734000000000,
      UserOutboxClaim1735000000000,
      UserOutboxRoomForLeases1736000000000,
    ],
    timeoutMs: config.timeoutMs,
  });
}

/** Where the user module's events wait: its outbox table. */
export function openUserOutboxRepository(db: ModuleDatabase): OutboxRepository {
  return new PostgresOutboxRepository(db.sql.bind(db));
}

/** The accounts on `db`; `outbox` hears of every commit that queued events. */
export function openUserRepository(db: ModuleDatabase, outbox: ModuleOutbox): UserRepository {
  return new PostgresUserRepository(db, outbox);
}
