import { applyDecorators } from '@nestjs/common';
import { ApiParam, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

/**
 * A field's limits, declared once: the same object makes the validator that enforces them and
 * the OpenAPI schema that documents them (`TextField`, `IntegerField`), and documents the field
 * where the server sends it (`textSchema`, `integerSchema`), so the number a client reads is the
 * number the server checks.
 */
export interface TextRule {
  minLength?: number;
  maxLength: number;
  /** Anchored; what a value must look like. */
  pattern?: RegExp;
  /** The validator's message when `pattern` fails. */
  patternMessage?: string;
  /** `email` is checked too (by `TextField`); the others only describe. */
  format?: 'email' | 'password' | 'uuid' | 'date-time' | 'uri' | 'uri-reference';
  description?: string;
  example?: string;
}

export interface IntegerRule {
  minimum: number;
  maximum: number;
  description?: string;
  example?: number;
}

/** A user's or an order's id, whatever the database: a UUID. */
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

/** The OpenAPI schema of a text field. */
export function textSchema(rule: TextRule) {
  return {
    type: 'string' as const,
    maxLength: rule.maxLength,
    ...(rule.minLength !== undefined && { minLength: rule.minLength }),
    ...(rule.pattern && { pattern: rule.pattern.source }),
    ...(rule.format && { format: rule.format }),
    ...(rule.description && { description: rule.description }),
    ...(rule.example !== undefined && { example: rule.example }),
  };
}

/** The OpenAPI schema of an integer field: int32 where it fits, else int64. */
export function integerSchema(rule: IntegerRule) {
  const int32 = rule.minimum >= -(2 ** 31) && rule.maximum < 2 ** 31;
  return {
    type: 'integer' as const,
    format: int32 ? 'int32' : 'int64',
    minimum: rule.minimum,
    maximum: rule.maximum,
    ...(rule.description && { description: rule.description }),
    ...(rule.example !== undefined && { example: rule.example }),
  };
}

/** A request text field: validated by `rule` and documented with it. */
export function TextField(rule: TextRule, options: { optional?: boolean } = {}): PropertyDecorator {
  const decorators: PropertyDecorator[] = [
    options.optional ? ApiPropertyOptional(textSchema(rule)) : ApiProperty(textSchema(rule)),
    ...(options.optional ? [IsOptional()] : []),
    IsString(),
    rule.minLength !== undefined
      ? Length(rule.minLength, rule.maxLength)
      : MaxLength(rule.maxLength),
  ];
  if (rule.pattern) {
    decorators.push(
      Matches(rule.pattern, rule.patternMessage ? { message: rule.patternMessage } : {}),
    );
  }
  if (rule.format === 'email') decorators.push(IsEmail());
  return applyDecorators(...decorators);
}

/** A request integer field: validated by `rule` and documented with it. */
export function IntegerField(rule: IntegerRule): PropertyDecorator {
  return applyDecorators(
    ApiProperty(integerSchema(rule)),
    IsInt(),
    Min(rule.minimum),
    Max(rule.maximum),
  );
}

/** The `Location` header of a 201: the path of what was created. */
export const LOCATION_HEADER = {
  description: 'The path of the created resource, e.g. `/api/orders/{id}`',
  required: true,
  schema: textSchema({ maxLength: 200, format: 'uri-reference' }),
};

/** The `{id}` path parameter of a route that names a user or an order by its UUID. */
export function ApiIdParam(what: string): MethodDecorator {
  return ApiParam({ name: 'id', description: `${what}'s id (a UUID)`, schema: textSchema(ID) });
}
