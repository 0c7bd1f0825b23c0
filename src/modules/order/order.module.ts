import { Module, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../shared/config/config';
import { Readiness } from '../../shared/health/readiness';
import { ModuleDatabase } from '../../shared/persistence/module-database';
import { OrdersController } from './http/orders.controller';
import { OrderEventsHandler } from './order-events.handler';
import { OrdersService } from './orders.service';
import { CreateOrders1732500000001 } from './persistence/migrations/1732500000001-create-orders';
import { OrderRepository } from './persistence/order-repository';
import { OrderRow } from './persistence/order.row';
import { TypeOrmOrderRepository } from './persistence/typeorm-order-repository';

/** Orders and their state machine; owns the `cleave_order` schema. */
@Module({
  controllers: [OrdersController, OrderEventsHandler],
  providers: [
    {
      provide: ModuleDatabase,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        ModuleDatabase.open({
          module: 'order',
          url: config.ORDER_DATABASE_URL,
          dataDir: config.DATA_DIR,
          schema: 'cleave_order',
          entities: [OrderRow],
          migrations: [CreateOrders1732500000001],
          timeoutMs: config.DB_TIMEOUT_MS,
        }),
    },
    {
      provide: OrderRepository,
      inject: [ModuleDatabase],
      useFactory: (db: ModuleDatabase) => new TypeOrmOrderRepository(db),
    },
    OrdersService,
  ],
})
export class OrderModule implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly orders: OrderRepository,
  ) {}

  onModuleInit(): void {
    this.readiness.register('order-db', () => this.orders.ping());
  }
}
