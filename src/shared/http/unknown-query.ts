import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { FastifyRequest } from 'fastify';
import { ValidationFailed } from './validation';

/**
 * A query parameter a route does not know is refused, as an unknown body field is: 400 naming
 * it. Routes that take a query (`@Query()`, such as the lists) refuse unknown ones in their
 * DTO's whitelist; this covers every other `/api` route, which takes none, so that
 * `GET /api/users/me?limit=5` is not answered as if the client had not asked. (The probes,
 * metrics and docs ignore a query string, as scrapers and browsers expect.)
 *
 * A guard, registered after the AuthGuard (a request without a valid token is 401 first), not
 * an interceptor: with no interceptor at all, Nest calls a handler directly instead of through
 * an RxJS pipeline on every request (about a tenth of the CPU of `GET /api/users/me`).
 */
@Injectable()
export class RefuseUnknownQuery implements CanActivate {
  /** Whether a handler declares a query, read once from Nest's route metadata. */
  private readonly takesQuery = new WeakMap<object, boolean>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!request.url.startsWith('/api/') || !request.url.includes('?')) return true;
    const handler = context.getHandler();
    let takes = this.takesQuery.get(handler);
    if (takes === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      takes = Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.QUERY));
      this.takesQuery.set(handler, takes);
    }
    const names = Object.keys(request.query ?? {});
    if (!takes && names.length > 0) {
      throw new ValidationFailed(
        names.map((field) => ({ field, message: 'is not an allowed field' })),
      );
    }
    return true;
  }
}
