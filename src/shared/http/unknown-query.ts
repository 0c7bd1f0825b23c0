import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { ValidationFailed } from './validation';

/**
 * A query parameter a route does not know is refused, as an unknown body field is: 400 naming
 * it. Routes that take a query (`@Query()`, such as the lists) refuse unknown ones in their
 * DTO's whitelist; this covers every other `/api` route, which takes none, so that
 * `GET /api/users/me?limit=5` is not answered as if the client had not asked. (The probes,
 * metrics and docs ignore a query string, as scrapers and browsers expect.)
 */
@Injectable()
export class RefuseUnknownQuery implements NestInterceptor {
  /** Whether a handler declares a query, read once from Nest's route metadata. */
  private readonly takesQuery = new WeakMap<object, boolean>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!request.url.startsWith('/api/') || !request.url.includes('?')) return next.handle();
    const handler = context.getHandler();
    let takes = this.takesQuery.get(handler);
    if (takes === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      takes = Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.QUERY));
      this.takesQuery.set(handler, takes);
    }
    const names = Object.keys((request.query ?? {}));
    if (!takes && names.length > 0) {
      throw new ValidationFailed(
        names.map((field) => ({ field, message: 'is not an allowed field' })),
      );
    }
    return next.handle();
  }
}
