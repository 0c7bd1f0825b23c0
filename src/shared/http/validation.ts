import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError } from './domain-error';
import type { FieldError } from './problem';

/** Request input broke a rule; `errors` names each field. */
export class ValidationFailed extends DomainError {
  constructor(readonly errors: FieldError[]) {
    super('REQUEST.INVALID', 'invalid', 'The request is not valid.');
  }
}

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
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(flattenValidationErrors(errors)),
  });
}
