import {
  type ArgumentMetadata,
  ValidationError,
  ValidationPipe,
  type ValidationPipeOptions,
} from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { DomainError } from '../kernel/domain-error';
import { isJsonTree, KnownValid } from './known-valid';
import { boundedFieldErrors, type FieldError } from './problem';

/**
 * Request input broke a rule; `errors` names each field (the first FIELD_ERRORS.maxItems: a
 * body of a million unknown fields does not get a million-line answer).
 */
export class ValidationFailed extends DomainError {
  readonly errors: FieldError[];
  constructor(errors: readonly FieldError[]) {
    super('REQUEST.INVALID', 'invalid', 'The request is not valid.');
    this.errors = boundedFieldErrors(errors);
  }
}

/** Unknown fields of a body or query are refused (400), never ignored. */
export const REFUSES_UNKNOWN_FIELDS = true;

/** `items[0].quantity` style paths for nested errors. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const key = /^\d+$/.test(error.property) ? `[${error.property}]` : error.property;
    const path = parent === '' ? key : key.startsWith('[') ? `${parent}${key}` : `${parent}.${key}`;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field: path,
      message:
        error.constraints?.whitelistValidation === message ? 'is not an allowed field' : message,
    }));
    return [...own, ...flattenValidationErrors(error.children ?? [], path)];
  });
}

/**
 * Nest's pipe, with a shortcut for the common, valid request: a value as JSON or a query string
 * makes it, which `KnownValid` proves valid once it is an instance of its class, is answered
 * without class-validator's executor (and without the pipe's walks that find nothing in such a
 * value). Anything else, every invalid value among it, goes through Nest's pipe as before, so its
 * errors are class-validator's (an invalid JSON value is made an instance twice: the price of a
 * bad request, not of a good one).
 */
class CheckedValidationPipe extends ValidationPipe {
  private readonly known = new KnownValid(this.validatorOptions);

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (this.isTransformEnabled && metatype && this.toValidate(metadata) && isJsonTree(value)) {
      const entity: unknown = plainToInstance(metatype, value, this.transformOptions);
      if (this.known.passes(entity)) return entity;
    }
    return super.transform(value, metadata);
  }
}

/**
 * The pipe's options: unknown fields are rejected, values converted only where declared, and
 * every error reported (as `ValidationFailed`).
 */
export const VALIDATION_PIPE_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: REFUSES_UNKNOWN_FIELDS,
  forbidUnknownValues: true,
  transform: true,
  stopAtFirstError: false,
  validationError: { target: false, value: false },
  exceptionFactory: (errors) => new ValidationFailed(flattenValidationErrors(errors)),
};

/** Whitelisting pipe: unknown fields are rejected, values converted only where declared. */
export function createValidationPipe(): ValidationPipe {
  return new CheckedValidationPipe(VALIDATION_PIPE_OPTIONS);
}
