import { inboxRenameMigration } from '../../../../shared/outbox/postgres-inbox';

/** Each handler's inbox key becomes its one name, its durable consumer's. */
export const InboxHandlerNames1733000000001 = inboxRenameMigration(
  'InboxHandlerNames1733000000001',
  { 'orders.cancel-on-user-deleted': 'order-cancel-on-user-deleted' },
);
