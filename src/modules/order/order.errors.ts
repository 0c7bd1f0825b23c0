import { DomainError } from '../../shared/kernel/domain-error';
import type { OrderStatus } from './order.contract';

/** Also for orders the caller may not see: existence is not revealed. */
export class OrderNotFound extends DomainError {
  constructor() {
    super('ORDER.NOT_FOUND', 'not-found', 'No such order.');
  }
}

export class OrderNotCancellable extends DomainError {
  constructor(status: OrderStatus) {
    super('ORDER.NOT_CANCELLABLE', 'conflict', `An order that is ${status} cannot be cancelled.`);
  }
}

export class InvalidStatusTransition extends DomainError {
  constructor(from: OrderStatus, to: OrderStatus) {
    super('ORDER.INVALID_TRANSITION', 'conflict', `An order cannot go from ${from} to ${to}.`);
  }
}

export class IdempotencyKeyReused extends DomainError {
  constructor() {
    super(
      'ORDER.IDEMPOTENCY_KEY_REUSED',
      'unprocessable',
      'This Idempotency-Key was used with a different request body.',
    );
  }
}
