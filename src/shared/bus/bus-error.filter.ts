import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { DomainError } from '../kernel/domain-error';
import { reasonOf } from '../observability/bus-context';
import { logUnexpected } from '../observability/unexpected-errors';
import { isDependencyFailure } from '../resilience/dependency-failure';
import type { BusErrorPayload } from './bus-event';

/**
 * The exception filter of every bus handler (`@Answers`, `@OnEvent`, `@OnBroadcast` apply it):
 * whatever a handler throws becomes a code-carrying error payload, which the caller's `Bus`
 * turns back into the same DomainError (and its edge into the same problem+json). A database
 * away is `unavailable`; anything else unexpected is a bug, logged once here with its cause.
 */
@Catch()
export class BusErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Bus');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    return throwError(() => this.toBusError(exception, host));
  }

  private toBusError(exception: unknown, host: ArgumentsHost): BusErrorPayload {
    if (exception instanceof DomainError) {
      return { code: exception.code, kind: exception.kind, message: exception.message };
    }
    if (isDependencyFailure(exception)) {
      this.logger.warn(
        `message handler failed, a dependency is unavailable: ${reasonOf(exception)}`,
      );
      return {
        code: 'SERVICE.UNAVAILABLE',
        kind: 'unavailable',
        message: 'A dependency is unavailable.',
      };
    }
    const context: { getPattern?: () => string } = host.switchToRpc().getContext();
    logUnexpected(this.logger, exception, { pattern: context.getPattern?.() });
    // A bug, not an outage: the caller answers 500, and its breaker does not count it.
    return { code: 'INTERNAL', kind: 'internal', message: 'The handler failed.' };
  }
}
