import { ModuleDatabase } from '../../../shared/persistence/module-database';
import { isMongoUrl, MongoDatabase } from '../../../shared/persistence/mongo-database';
import type { OutboxRelay } from '../../../shared/persistence/outbox-relay';
import type { OutboxStore } from '../../../shared/persistence/outbox-store';
import { MODULE_REGISTRY } from '../../../shared/modules/registry';
import { SqlOutboxStore } from '../../../shared/persistence/sql-outbox-store';
import { CreateOrders1732500000001 } from './migrations/1732500000001-create-orders';
import { OrderOutbox1732600000001 } from './migrations/1732600000001-order-outbox';
import { OrderOutboxRetention1732700000001 } from './migrations/1732700000001-order-outbox-retention';
import { MongoOrderRepository } from './mongo-order-repository';
import { OrderRepository } from './order-repository';
import { OrderRow } from './order.row';
import { TypeOrmOrderRepository } from './typeorm-order-repository';

/** The order module's own database: MongoDB for `mongodb://` URLs, else Postgres or PGlite. */
export type OrderDatabase = ModuleDatabase | MongoDatabase;

export function openOrderDatabase(config: {
  ORDER_DATABASE_URL?: string;
  DATA_DIR: string;
  DB_TIMEOUT_MS: number;
}): Promise<OrderDatabase> {
  const url = config.ORDER_DATABASE_URL;
  if (isMongoUrl(url))
    return MongoDatabase.open({ module: 'order', url, timeoutMs: config.DB_TIMEOUT_MS });
  return ModuleDatabase.open({
    module: 'order',
    url,
    dataDir: config.DATA_DIR,
    schema: MODULE_REGISTRY.order.outbox.schema,
    entities: [OrderRow],
    migrations: [
      CreateOrders1732500000001,
      OrderOutbox1732600000001,
      OrderOutboxRetention1732700000001,
    ],
    timeoutMs: config.DB_TIMEOUT_MS,
  });
}

/** The repository on `db`, with the outbox relay `relayFor` makes for its outbox. */
export async function openOrderRepository(
  db: OrderDatabase,
  relayFor: (store: OutboxStore) => OutboxRelay,
): Promise<{ repository: OrderRepository; relay: OutboxRelay }> {
  if (db instanceof MongoDatabase) {
    const repository = await MongoOrderRepository.open(db, relayFor);
    return { repository, relay: repository.relay };
  }
  const relay = relayFor(new SqlOutboxStore(db.sql.bind(db)));
  return { repository: new TypeOrmOrderRepository(db, relay), relay };
}
