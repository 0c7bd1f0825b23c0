import type { TextRule } from './api-fields';

/** A user's or an order's id, whatever the store: a UUID. */
export const ID: TextRule = {
  minLength: 36,
  maxLength: 36,
  format: 'uuid',
  example: '7d3f2c1a-9b8e-4f6d-a5c4-3b2a1f0e9d8c',
};

/** A time: ISO 8601 UTC, as `Date.prototype.toISOString` writes it. */
export const TIME: TextRule = {
  minLength: 24,
  maxLength: 24,
  format: 'date-time',
  example: '2026-01-31T12:00:00.000Z',
};
