import { BeforeApplicationShutdown, Inject, Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { Bus } from '../../shared/bus/bus';
import { OutboxMetrics } from '../../shared/persistence/outbox-metrics';
import { OutboxRelay, relayOptions } from '../../shared/persistence/outbox-relay';
import { OrderOutbox1732600000001 } from './persistence/migrations/1732600000001-order-outbox';
import { APP_CONFIG, type AppConfig } from '../../shared/config/config';
import { Readiness } from '../../shared/health/readiness';
import { ModuleDatabase } from '../../shared/persistence/module-database';
import { MODULE_SCHEMAS } from '../../shared/persistence/schemas';
import { OrdersController } from './http/orders.controller';
import { OrderEventsHandler } from './order-events.handler';
import { OrdersService } from './orders.service';
import { CreateOrders1732500000001 } from './persistence/migrations/1732500000001-create-orders';
import { OrderRepository } from './persistence/order-repository';
import { OrderRow } from './persistence/order.row';
import { TypeOrmOrderRepository } from './persistence/typeorm-order-repository';

const ORDER_OUTBOX = Symbol('ORDER_OUTBOX');

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
          schema: MODULE_SCHEMAS.order,
          entities: [OrderRow],
          migrations: [CreateOrders1732500000001, OrderOutbox1732600000001],
          timeoutMs: config.DB_TIMEOUT_MS,
        }),
    },
    {
      provide: ORDER_OUTBOX,
      inject: [ModuleDatabase, Bus, OutboxMetrics, APP_CONFIG],
      useFactory: (db: ModuleDatabase, bus: Bus, metrics: OutboxMetrics, config: AppConfig) =>
        new OutboxRelay('order', db, bus, metrics, relayOptions(config)),
    },
    {
      provide: OrderRepository,
      inject: [ModuleDatabase, ORDER_OUTBOX],
      useFactory: (db: ModuleDatabase, outbox: OutboxRelay) => new TypeOrmOrderRepository(db, outbox),
    },
    OrdersService,
  ],
})
export class OrderModule implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly readiness: Readiness,
    private readonly orders: OrderRepository,
    @Inject(ORDER_OUTBOX) private readonly outbox: OutboxRelay,
  ) {}

  onModuleInit(): void {
    this.readiness.register('order-db', () => this.orders.ping());
  }

  onApplicationBootstrap(): void {
    this.outbox.start();
  }

  /** The relay finishes its batch before the database closes. */
  beforeApplicationShutdown(): Promise<void> {
    return this.outbox.stop();
  }
}
