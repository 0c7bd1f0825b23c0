/** Each module's own Postgres schema: nobody else's tables live there. */
export const MODULE_SCHEMAS = { user: 'cleave_user', order: 'cleave_order' } as const;

/** The MongoDB collection whose documents embed a module's outbox (modules on MongoDB only). */
export const MODULE_COLLECTIONS = { user: 'users', order: 'orders' } as const;
