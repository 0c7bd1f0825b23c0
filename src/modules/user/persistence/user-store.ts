import type { DatabaseConfig } from '../../../shared/config/app-config';
import { ModuleDatabase } from '../../../shared/persistence/module-database';
import { MODULE_REGISTRY } from '../../../shared/modules/registry';
import { CreateUsers1732500000000 } from './migrations/1732500000000-create-users';
import { UserOutbox1732600000000 } from './migrations/1732600000000-user-outbox';
import { UserOutboxRetention1732700000000 } from './migrations/1732700000000-user-outbox-retention';
import { InboxHandlerNames1733000000000 } from './migrations/1733000000000-inbox-handler-names';
import { AccountVersion1734000000000 } from './migrations/1734000000000-account-version';
import { UserRow } from './user.row';

/** The user module's own database: Postgres for `USER_DATABASE_URL`, else embedded PGlite. */
export function openUserDatabase(config: DatabaseConfig): Promise<ModuleDatabase> {
  return ModuleDatabase.open({
    module: 'user',
    url: config.url,
    dataDir: config.dataDir,
    schema: MODULE_REGISTRY.user.outbox.schema,
    entities: [UserRow],
    migrations: [
      CreateUsers1732500000000,
      UserOutbox1732600000000,
      UserOutboxRetention1732700000000,
      InboxHandlerNames1733000000000,
      AccountVersion1734000000000,
    ],
    timeoutMs: config.timeoutMs,
  });
}
