import { inboxRenameMigration } from '../../../../shared/outbox/postgres-inbox';

/** Each handler's inbox key becomes its one name, its durable consumer's. */
export const InboxHandlerNames1733000000000 = inboxRenameMigration(
  'InboxHandlerNames1733000000000',
  {
    'order-summary.created': 'user-order-summary-created',
    'order-summary.status': 'user-order-summary-status',
    'order-summary.cancelled': 'user-order-summary-cancelled',
  },
);
