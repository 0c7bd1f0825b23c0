import { describe, expect, it } from '@jest/globals';
import type { ValidationError } from '@nestjs/common';
import { flattenValidationErrors } from './validation';

describe('flattenValidationErrors', () => {
  it('names nested fields as items[0].quantity and reports unknown fields', () => {
    const error = (e: Partial<ValidationError>): ValidationError => ({
      property: '',
      children: [],
      ...e,
    });
    const quantity = error({
      property: 'quantity',
      constraints: { min: 'quantity must not be less than 1' },
    });
    const items = error({
      property: 'items',
      children: [error({ property: '0', children: [quantity] })],
    });
    const extra = error({
      property: 'admin',
      constraints: { whitelistValidation: 'property admin should not exist' },
    });
    expect(flattenValidationErrors([items, extra])).toEqual([
      { field: 'items[0].quantity', message: 'quantity must not be less than 1' },
      { field: 'admin', message: 'is not an allowed field' },
    ]);
  });
});
