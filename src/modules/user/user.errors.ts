import { DomainError } from '../../shared/kernel/domain-error';

export class EmailTaken extends DomainError {
  constructor() {
    super('USER.EMAIL_TAKEN', 'conflict', 'An account with this email already exists.');
  }
}

/** Also used for users the caller may not see: existence is not revealed. */
export class UserNotFound extends DomainError {
  constructor() {
    super('USER.NOT_FOUND', 'not-found', 'No such user.');
  }
}

export class WrongPassword extends DomainError {
  constructor() {
    super('USER.WRONG_PASSWORD', 'unauthenticated', 'The current password is wrong.');
  }
}
