import { DomainError } from '../../shared/kernel/domain-error';

/** Too many failed logins for one email; holds even for the right password. */
export class LoginLocked extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('AUTH.LOCKED', 'too-many', 'Too many failed logins; try again later.', {
      'retry-after': String(retryAfterSeconds),
    });
  }
}

/** One answer for unknown email and wrong password, so neither is revealed. */
export class InvalidCredentials extends DomainError {
  constructor() {
    super('AUTH.INVALID_CREDENTIALS', 'unauthenticated', 'The email or password is wrong.');
  }
}

export class InvalidRefreshToken extends DomainError {
  constructor() {
    super('AUTH.INVALID_REFRESH_TOKEN', 'unauthenticated', 'The refresh token is not valid.');
  }
}
