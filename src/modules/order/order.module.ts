import { Module, OnModuleInit } from '@nestjs/common';
import { DATABASE_CONFIG } from '../../shared/config/app-config';
import { Readiness } from '../../shared/observability/readiness';
import { outboxProvider } from '../../shared/outbox/module-outbox';
import { OrdersController } from './http/orders.controller';
import { CancelOpenOrders } from './cancel-on-user-deleted/cancel-open-orders';
import { UserDeletedHandler } from './cancel-on-user-deleted/user-deleted.handler';
import { CancelOrder } from './change-order/cancel-order';
import { ChangeOrderStatus } from './change-order/change-status';
import { AccountEventsHandler } from './account-view/account-events.handler';
import { AccountViewFill } from './account-view/account-view-fill';
import { RecordAccount } from './account-view/record-account';
import { AccountView } from './persistence/account-view';
import { PlaceOrder } from './place-order/place-order';
import { ReadOrders } from './read-orders/read-orders';
import { OrderRepository } from './persistence/order-repository';
import {
  openAccountView,
  openOrderDatabase,
  openOrderRepository,
  openOrderOutboxRepository,
} from './persistence/order-database';

const ORDER_DATABASE = Symbol('ORDER_DATABASE');
const ORDER_OUTBOX = Symbol('ORDER_OUTBOX');

/** Orders and their state machine; owns the `cleave_order` schema or its MongoDB database. */
@Module({
  controllers: [OrdersController, UserDeletedHandler, AccountEventsHandler],
  providers: [
    {
      provide: ORDER_DATABASE,
      inject: [DATABASE_CONFIG.order],
      useFactory: openOrderDatabase,
    },
    outboxProvider(ORDER_OUTBOX, 'order', [ORDER_DATABASE], openOrderOutboxRepository),
    {
      provide: OrderRepository,
      inject: [ORDER_DATABASE, ORDER_OUTBOX],
      useFactory: openOrderRepository,
    },
    { provide: AccountView, inject: [ORDER_DATABASE], useFactory: openAccountView },
    RecordAccount,
    AccountViewFill,
    PlaceOrder,
    ReadOrders,
    CancelOrder,
    ChangeOrderStatus,
    CancelOpenOrders,
  ],
})
export class OrderModule implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly orders: OrderRepository,
    private readonly accountViewFill: AccountViewFill,
  ) {}

  onModuleInit(): void {
    this.readiness.register('order-db', () => this.orders.ping());
    this.readiness.register('account-view', () => this.accountViewFill.ready());
  }
}
