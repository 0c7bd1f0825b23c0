import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Forbidden, Unauthenticated } from '../kernel/domain-error';
import { Principal, Role } from './security.contract';
import { TokenVerifier } from './token-verifier';

const PUBLIC_KEY = 'cleave:public';
const ROLES_KEY = 'cleave:roles';

/** Marks a public operation in the OpenAPI document; `completeOpenApi` makes it `security: []`. */
export const PUBLIC_EXTENSION = 'x-public';

/** The route needs no access token (and the OpenAPI document says so). */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(PUBLIC_KEY, true), ApiExtension(PUBLIC_EXTENSION, true));

/** The route needs one of these roles (403 otherwise). */
export const RequireRoles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

interface RouteRule {
  public: boolean;
  roles?: Role[];
}

/** Global guard: every HTTP route needs a valid access token unless marked `@Public()`. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  /** Route metadata never changes after start: read it once per handler. */
  private readonly rules = new WeakMap<object, RouteRule>();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const rule = this.ruleFor(context);
    if (rule.public) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.verifier.verifyRequest(request);
    request.principal = principal;
    if (rule.roles && !rule.roles.some((role) => principal.roles.includes(role)))
      throw new Forbidden();
    return true;
  }

  private ruleFor(context: ExecutionContext): RouteRule {
    const handler = context.getHandler();
    let rule = this.rules.get(handler);
    if (!rule) {
      const targets = [handler, context.getClass()];
      rule = {
        public: this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true,
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
      };
      this.rules.set(handler, rule);
    }
    return rule;
  }
}

/** The verified caller of an authenticated route. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Unauthenticated();
  return principal;
});

export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes('admin');
}
