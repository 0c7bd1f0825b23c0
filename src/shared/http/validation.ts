import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError } from '../kernel/domain-error';
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

/** Whitelisting pipe: unknown fields are rejected, values converted only where declared. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: REFUSES_UNKNOWN_FIELDS,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(flattenValidationErrors(errors)),
  });
}
