import type { IntegerRule, TextRule } from '../../../shared/http/api-fields';

/** A user's fields, with the limits sign-up, rename and password change enforce. */
export const EMAIL: TextRule = { maxLength: 254, format: 'email', example: 'ada@example.com' };
export const PASSWORD: TextRule = {
  minLength: 8,
  maxLength: 128,
  format: 'password',
  example: 'correct horse battery staple',
};
/** The current password: any that was ever accepted (8 characters were not always the rule). */
export const CURRENT_PASSWORD: TextRule = { ...PASSWORD, minLength: 1 };
export const NAME: TextRule = { minLength: 1, maxLength: 100, example: 'Ada Lovelace' };
/** Order counts kept from order events (a Postgres integer). */
export const ORDER_COUNT: IntegerRule = { minimum: 0, maximum: 2 ** 31 - 1 };
