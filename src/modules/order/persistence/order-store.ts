import type { DatabaseConfig } from '../../../shared/config/app-config';
import { ModuleDatabase } from '../../../shared/persistence/module-database';
import { isMongoUrl, MongoDatabase } from '../../../shared/persistence/mongo-database';
import type { CommitSignal } from '../../../shared/outbox/module-outbox';
import type { OutboxStore } from '../../../shared/outbox/outbox-store';
import { MODULE_REGISTRY } from '../../../shared/modules/registry';
import { SqlOutboxStore } from '../../../shared/outbox/sql-outbox-store';
import { CreateOrders1732500000001 } from './migrations/1732500000001-create-orders';
import { OrderOutbox1732600000001 } from './migrations/1732600000001-order-outbox';
import { OrderOutboxRetention1732700000001 } from './migrations/1732700000001-order-outbox-retention';
import { InboxHandlerNames1733000000001 } from './migrations/1733000000001-inbox-handler-names';
import { AccountView1734000000001 } from './migrations/1734000000001-account-view';
import type { AccountView } from './account-view';
import { MongoAccountView } from './mongo-account-view';
import { MongoOrderRepository } from './mongo-order-repository';
import { OrderRepository } from './order-repository';
import { OrderRow } from './order.row';
import { SqlAccountView } from './sql-account-view';
import { TypeOrmOrderRepository } from './typeorm-order-repository';

/** The order module's own database: MongoDB for `mongodb://` URLs, else Postgres or PGlite. */
export type OrderDatabase = ModuleDatabase | MongoDatabase;

export function openOrderDatabase(config: DatabaseConfig): Promise<OrderDatabase> {
  const url = config.url;
  if (isMongoUrl(url))
    return MongoDatabase.open({ module: 'order', url, timeoutMs: config.timeoutMs });
  return ModuleDatabase.open({
    module: 'order',
    url,
    dataDir: config.dataDir,
    schema: MODULE_REGISTRY.order.outbox.schema,
    entities: [OrderRow],
    migrations: [
      CreateOrders1732500000001,
      OrderOutbox1732600000001,
      OrderOutboxRetention1732700000001,
      InboxHandlerNames1733000000001,
      AccountView1734000000001,
    ],
    timeoutMs: config.timeoutMs,
  });
}

/** Where the order module's events wait: its outbox table, or the order documents. */
export function orderOutboxStore(db: OrderDatabase): OutboxStore {
  return db instanceof MongoDatabase
    ? MongoOrderRepository.outboxStore(db)
    : new SqlOutboxStore(db.sql.bind(db));
}

/** The account view on `db` (see `AccountView`). */
export function openAccountView(db: OrderDatabase): AccountView {
  return db instanceof MongoDatabase ? MongoAccountView.open(db) : new SqlAccountView(db);
}

/** The repository on `db`; `outbox` hears of every commit that queued events. */
export async function openOrderRepository(
  db: OrderDatabase,
  outbox: CommitSignal,
): Promise<OrderRepository> {
  if (db instanceof MongoDatabase) return MongoOrderRepository.open(db, outbox);
  return new TypeOrmOrderRepository(db, outbox);
}
