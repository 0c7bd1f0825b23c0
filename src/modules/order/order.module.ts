import {
  BeforeApplicationShutdown,
  Inject,
  Module,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { Bus } from '../../shared/bus/bus';
import { APP_CONFIG, type AppConfig } from '../../shared/config/config';
import { Readiness } from '../../shared/health/readiness';
import { OutboxMetrics } from '../../shared/persistence/outbox-metrics';
import { OutboxRelay, relayOptions } from '../../shared/persistence/outbox-relay';
import { OrdersController } from './http/orders.controller';
import { CancelOpenOrders } from './cancel-on-user-deleted/cancel-open-orders';
import { UserDeletedHandler } from './cancel-on-user-deleted/user-deleted.handler';
import { CancelOrder } from './change-order/cancel-order';
import { ChangeOrderStatus } from './change-order/change-status';
import { AccountCheck } from './clients/account-check.client';
import { PlaceOrder } from './place-order/place-order';
import { ReadOrders } from './read-orders/read-orders';
import { OrderRepository } from './persistence/order-repository';
import { OrderDatabase, openOrderDatabase, openOrderRepository } from './persistence/order-store';

type OrderStore = Awaited<ReturnType<typeof openOrderRepository>>;

const ORDER_DATABASE = Symbol('ORDER_DATABASE');
const ORDER_STORE = Symbol('ORDER_STORE');

/** Orders and their state machine; owns the `cleave_order` schema or its MongoDB database. */
@Module({
  controllers: [OrdersController, UserDeletedHandler],
  providers: [
    {
      provide: ORDER_DATABASE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => openOrderDatabase(config),
    },
    {
      provide: ORDER_STORE,
      inject: [ORDER_DATABASE, Bus, OutboxMetrics, APP_CONFIG],
      useFactory: (db: OrderDatabase, bus: Bus, metrics: OutboxMetrics, config: AppConfig) =>
        openOrderRepository(
          db,
          (store) => new OutboxRelay('order', store, bus, metrics, relayOptions(config)),
        ),
    },
    {
      provide: OrderRepository,
      inject: [ORDER_STORE],
      useFactory: (store: OrderStore) => store.repository,
    },
    AccountCheck,
    PlaceOrder,
    ReadOrders,
    CancelOrder,
    ChangeOrderStatus,
    CancelOpenOrders,
  ],
})
export class OrderModule
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  constructor(
    private readonly readiness: Readiness,
    private readonly orders: OrderRepository,
    @Inject(ORDER_STORE) private readonly store: OrderStore,
  ) {}

  onModuleInit(): void {
    this.readiness.register('order-db', () => this.orders.ping());
  }

  onApplicationBootstrap(): void {
    this.store.relay.start();
  }

  /** The relay finishes its batch before the database closes. */
  beforeApplicationShutdown(): Promise<void> {
    return this.store.relay.stop();
  }
}
