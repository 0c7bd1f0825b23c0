import type { DatabaseConfig } from '../../../shared/config/app-config';
import { MODULE_REGISTRY } from '../../../shared/modules/registry';
import type { CommitSignal } from '../../../shared/outbox/module-outbox';
import type { OutboxRepository } from '../../../shared/outbox/outbox-repository';
import { PostgresOutboxRepository } from '../../../shared/outbox/postgres-outbox-repository';
import { ModuleDatabase } from '../../../shared/persistence/module-database';
import { isMongoUrl, MongoDatabase } from '../../../shared/persistence/mongo-database';
import { CreateOrders1732500000001 } from './migrations/1732500000001-create-orders';
import { OrderOutbox1732600000001 } from './migrations/1732600000001-order-outbox';
import { OrderOutboxRetention1732700000001 } from './migrations/1732700000001-order-outbox-retention';
import { InboxHandlerNames1733000000001 } from './migrations/1733000000001-inbox-handler-names';
import { AccountView1734000000001 } from './migrations/1734000000001-account-view';
import { OrderOutboxClaim1735000000001 } from './migrations/1735000000001-outbox-claim-in-seq-order';
import { OrderOutboxRoomForLeases1736000000001 } from './migrations/1736000000001-outbox-room-for-leases';
import type { AccountView } from './account-view';
import { MongoAccountView } from './mongo-account-view';
import { MongoOrderRepository } from './mongo-order-repository';
import { OrderRepository } from './order-repository';
import { PostgresAccountView } from './postgres-account-view';
import { PostgresOrderRepository } from './postgres-order-repository';

/**
 * The order module's own database: MongoDB for `mongodb://` URLs, else Postgres (a URL) or the
 * embedded PGlite. This file is the one place that knows which: it opens the database and gives
 * the adapters on it.
 */
export type OrderDatabase = ModuleDatabase | MongoDatabase;

/** Opens the order module's database from its configuration (migrating Postgres and PGlite). */
export function openOrderDatabase(config: DatabaseConfig): Promise<OrderDatabase> {
  const url = config.url;
  if (isMongoUrl(url))
    return MongoDatabase.open({ module: 'order', url, timeoutMs: config.timeoutMs });
  return ModuleDatabase.open({
    module: 'order',
    url,
    dataDir: config.dataDir,
    schema: MODULE_REGISTRY.order.outbox.schema,
    migrations: [
      CreateOrders1732500000001,
      OrderOutbox1732600000001,
      OrderOutboxRetention1732700000001,
      InboxHandlerNames1733000000001,
      AccountView1734000000001,
      OrderOutboxClaim1735000000001,
      OrderOutboxRoomForLeases1736000000001,
    ],
    timeoutMs: config.timeoutMs,
  });
}

/** Where the order module's events wait: its outbox table, or the order documents. */
export function openOrderOutboxRepository(db: OrderDatabase): OutboxRepository {
  return db instanceof MongoDatabase
    ? MongoOrderRepository.outboxRepository(db)
    : new PostgresOutboxRepository(db.sql.bind(db));
}

/** The account view on `db` (see `AccountView`). */
export function openAccountView(db: OrderDatabase): AccountView {
  return db instanceof MongoDatabase ? MongoAccountView.open(db) : new PostgresAccountView(db);
}

/** The repository on `db`; `outbox` hears of every commit that queued events. */
export async function openOrderRepository(
  db: OrderDatabase,
  outbox: CommitSignal,
): Promise<OrderRepository> {
  if (db instanceof MongoDatabase) return MongoOrderRepository.open(db, outbox);
  return new PostgresOrderRepository(db, outbox);
}
