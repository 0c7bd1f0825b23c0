import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import fc from 'fast-check';
import { LoginDto, RefreshTokenDto } from '../../src/modules/auth/http/auth-requests.dto';
import {
  ChangeStatusDto,
  CreateOrderDto,
  ListOrdersQuery,
} from '../../src/modules/order/http/order.dto';
import { ChangePasswordDto, CreateUserDto } from '../../src/modules/user/http/user-requests.dto';
import { isJsonTree, KnownValid } from '../../src/shared/http/known-valid';
import { PageQuery } from '../../src/shared/http/pagination';
import {
  createValidationPipe,
  VALIDATION_PIPE_OPTIONS,
  ValidationFailed,
} from '../../src/shared/http/validation';

/**
 * The app's pipe proves the common, valid request valid without class-validator's executor
 * (`KnownValid`); whatever it is given, it must answer exactly as Nest's own pipe with the same
 * options: the same DTO for a valid value, the same field errors for an invalid one.
 */

/** A request body as the app gets it: parsed from JSON. */
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

type Outcome = { valid: true; value: unknown; type: unknown } | { valid: false; errors: unknown };

async function outcome(pipe: ValidationPipe, raw: string, metadata: ArgumentMetadata) {
  try {
    const value: unknown = await pipe.transform(JSON.parse(raw), metadata);
    return { valid: true, value, type: (value as object).constructor } as Outcome;
  } catch (error) {
    if (!(error instanceof ValidationFailed)) throw error;
    return { valid: false, errors: error.errors } as Outcome;
  }
}

const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', 'SKU-1', 'EUR', 'eur', 'EU', 'ada@example.com', 'x'.repeat(300)),
  // Characters class-validator's length counts differently from String.length.
  fc.constantFrom('\uFE0F', 'a\uFE0F', '\u{1F600}', 'A\u{1F600}B'),
);
const integer = fc.oneof(
  fc.integer({ min: -2, max: 2 }),
  fc.constantFrom(1000, 1001, 1299, 100_000_000, 100_000_001, 1.5, -0),
);
const leaf = fc.oneof(text, integer, fc.constant(null), fc.boolean());
const constants = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(values).map(([key, value]) => [key, fc.constant(value)]));
const VALID_ITEM = { sku: 'SKU-1', name: 'A', quantity: 2, unitPriceCents: 1299 };
const validItem = fc.record(constants(VALID_ITEM));
const item = fc.oneof(
  fc.record(
    { sku: text, name: text, quantity: integer, unitPriceCents: integer, extra: leaf },
    { requiredKeys: [] },
  ),
  fc.record({
    sku: fc.constant('SKU-1'),
    name: fc.constant('A'),
    quantity: integer,
    unitPriceCents: integer,
  }),
  leaf,
  fc.array(leaf, { maxLength: 2 }),
);
const order = fc.oneof(
  fc.record(
    {
      items: fc.oneof(fc.array(item, { maxLength: 3 }), leaf),
      currency: fc.oneof(fc.constant('EUR'), text),
      admin: leaf,
    },
    { requiredKeys: [] },
  ),
  fc.record({
    items: fc.array(item, { minLength: 1, maxLength: 3 }),
    currency: fc.constant('EUR'),
  }),
  // A valid order, but for one field too many, at the top or in an item.
  fc.record(
    {
      items: fc.array(validItem, { minLength: 1, maxLength: 2 }),
      currency: fc.constant('EUR'),
      admin: leaf,
    },
    { requiredKeys: ['items', 'currency'] },
  ),
  fc.record({
    items: fc.tuple(fc.record({ ...constants(VALID_ITEM), extra: leaf })),
    currency: fc.constant('EUR'),
  }),
  fc.jsonValue({ maxDepth: 2 }),
);
/** Values of a DTO with `keys`: a valid one (`valid`), its fields' texts, anything. */
const anyOf = (valid: Record<string, string>) => {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.constant(valid),
    fc.record({ ...constants(valid), role: leaf }),
    fc.record(
      Object.fromEntries(keys.map((key) => [key, fc.oneof(fc.constant(valid[key]), text)])),
    ),
    fc.record(Object.fromEntries([...keys, 'role'].map((key) => [key, leaf])), {
      requiredKeys: [],
    }),
    fc.jsonValue({ maxDepth: 1 }),
  );
};
const PASSWORD = 'correct horse battery staple';
const query = fc.dictionary(
  fc.constantFrom('limit', 'cursor', 'status', 'other'),
  fc.oneof(
    text,
    fc.constantFrom('1', '20', '100', '101', '0', '-1', '1.5', 'abc', 'pending', 'paid'),
  ),
);

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({
  type: 'body',
  metatype,
});
const cases: Array<[string, fc.Arbitrary<unknown>, ArgumentMetadata]> = [
  ['CreateOrderDto', order, body(CreateOrderDto)],
  ['ChangeStatusDto', anyOf({ status: 'cancelled' }), body(ChangeStatusDto)],
  [
    'CreateUserDto',
    anyOf({ email: 'ada@example.com', password: PASSWORD, name: 'Ada' }),
    body(CreateUserDto),
  ],
  [
    'ChangePasswordDto',
    anyOf({ currentPassword: PASSWORD, newPassword: `new ${PASSWORD}` }),
    body(ChangePasswordDto),
  ],
  ['LoginDto', anyOf({ email: 'ada@example.com', password: PASSWORD }), body(LoginDto)],
  [
    'RefreshTokenDto',
    anyOf({ refreshToken: 'kJ3b9V0sQm3X7rYwq1f2Zr8h5T0uLkA4pN6cD2eG9sI' }),
    body(RefreshTokenDto),
  ],
  ['ListOrdersQuery', query, { type: 'query', metatype: ListOrdersQuery }],
  ['PageQuery', query, { type: 'query', metatype: PageQuery }],
];

describe('request validation', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each(cases)(
    'answers %s exactly as Nest’s own pipe, valid or not',
    async (_, values, metadata) => {
      const proofs = jest.spyOn(KnownValid.prototype, 'passes');
      const app = createValidationPipe();
      const nest = new ValidationPipe(VALIDATION_PIPE_OPTIONS);
      await fc.assert(
        fc.asyncProperty(values, async (value) => {
          const json = JSON.stringify(value) ?? 'null';
          expect(await outcome(app, json, metadata)).toEqual(await outcome(nest, json, metadata));
        }),
        { numRuns: 400 },
      );
      // Both ways were taken: values proved valid without the executor, and values it judged.
      const results = proofs.mock.results.map((result) => result.value);
      expect(results).toContain(true);
      expect(results).toContain(false);
    },
  );

  it.each(['__proto__', 'prototype', 'constructor'])(
    'answers a body with a %s key (which Nest’s pipe strips) as Nest’s own pipe',
    async (key) => {
      const app = createValidationPipe();
      const nest = new ValidationPipe(VALIDATION_PIPE_OPTIONS);
      const item = JSON.stringify(VALID_ITEM);
      for (const json of [
        `{"items":[${item}],"currency":"EUR","${key}":{"admin":true}}`,
        `{"items":[${item.slice(0, -1)},"${key}":1}],"currency":"EUR"}`,
      ]) {
        const metadata = body(CreateOrderDto);
        expect(await outcome(app, json, metadata)).toEqual(await outcome(nest, json, metadata));
      }
    },
  );

  it('takes the shortcut only for values Nest’s pipe would not change: JSON, no stripped keys', () => {
    expect(isJsonTree(JSON.parse('{"a":[1,"b",null,true,{"c":[]}]}'))).toBe(true);
    expect(isJsonTree(Object.assign(Object.create(null), { limit: '20' }))).toBe(true);
    for (const key of ['__proto__', 'prototype', 'constructor']) {
      expect(isJsonTree(JSON.parse(`{"a":{"${key}":1}}`))).toBe(false);
    }
    // eslint-disable-next-line no-sparse-arrays
    expect(isJsonTree({ a: [1, , 3] })).toBe(false);
    expect(isJsonTree({ a: Buffer.from('x') })).toBe(false);
    expect(isJsonTree({ a: new Date() })).toBe(false);
    expect(isJsonTree({ a: undefined })).toBe(false);
    expect(isJsonTree(JSON.parse('['.repeat(17) + ']'.repeat(17)))).toBe(false);
    expect(isJsonTree(JSON.parse('['.repeat(16) + ']'.repeat(16)))).toBe(true);
  });

  it('proves a valid order valid without class-validator, and leaves any invalid one to it', async () => {
    const proofs = jest.spyOn(KnownValid.prototype, 'passes');
    const pipe = createValidationPipe();
    const valid = {
      items: [{ sku: 'SKU-1', name: 'A', quantity: 2, unitPriceCents: 1299 }],
      currency: 'EUR',
    };
    const placed = await pipe.transform(json(valid), body(CreateOrderDto));
    expect(placed).toBeInstanceOf(CreateOrderDto);
    expect(placed).toEqual(valid);
    expect(proofs).toHaveLastReturnedWith(true);

    // Under options whose executor it does not mirror, it proves nothing.
    const entity = plainToInstance(CreateOrderDto, json(valid));
    const options = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };
    const passes = (more: object) => new KnownValid({ ...options, ...more }).passes(entity);
    expect(passes({})).toBe(true);
    expect(passes({ groups: ['admin'] })).toBe(false);
    expect(passes({ forbidNonWhitelisted: false })).toBe(false);
    expect(passes({ skipMissingProperties: true })).toBe(false);

    const invalid = [
      { ...valid, admin: true },
      { ...valid, items: [{ ...valid.items[0], extra: 1 }] },
      { ...valid, items: [{ ...valid.items[0], quantity: 1001 }] },
      { ...valid, items: [] },
      { ...valid, items: [['SKU-1']] },
      { items: valid.items },
    ];
    for (const value of invalid) {
      await expect(pipe.transform(json(value), body(CreateOrderDto))).rejects.toThrow(
        ValidationFailed,
      );
      expect(proofs).toHaveLastReturnedWith(false);
    }
  });
});
