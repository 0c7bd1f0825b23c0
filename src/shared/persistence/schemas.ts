/** Each module's own Postgres schema: nobody else's tables live there. */
export const MODULE_SCHEMAS = { user: 'cleave_user', order: 'cleave_order' } as const;
