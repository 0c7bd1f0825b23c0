import { expect } from '@jest/globals';
import request from 'supertest';
import type { BusinessModule } from '../../src/shared/modules/registry';
import { eventually } from './api';
import type { SplitApp } from './split';

/** The contract: a revoked session's access token is refused everywhere within a second. */
export const REVOKED_WITHIN_MS = 1000;
const ID = '00000000-0000-4000-8000-000000000000';

export type Route = [method: 'get' | 'post', path: string, body?: object];

/** Authenticated routes of each module. */
export const ROUTES: Record<BusinessModule, Route[]> = {
  user: [
    ['get', '/api/users/me'],
    ['get', `/api/users/${ID}`],
  ],
  order: [
    ['get', '/api/orders'],
    ['get', `/api/orders/${ID}`],
    ['post', `/api/orders/${ID}/cancel`],
  ],
  auth: [['post', '/api/auth/logout', { refreshToken: 'x' }]],
};
export const ALL_ROUTES = [...ROUTES.user, ...ROUTES.order, ...ROUTES.auth];

/** A process (one replica, or the front) and the routes it serves. */
export interface Server {
  url: string;
  routes: Route[];
}

/** The split shape's servers: the gateway with every route, each module process with its own. */
export function splitServers(app: SplitApp): Server[] {
  return [
    { url: app.url, routes: ALL_ROUTES },
    { url: app.processes.user.url, routes: ROUTES.user },
    { url: app.processes.order.url, routes: ROUTES.order },
    { url: app.processes.auth.url, routes: ROUTES.auth },
  ];
}

const call = (base: string, token: string, [method, path, body]: Route) => {
  const req = request(base)[method](path).set('authorization', `Bearer ${token}`);
  return body ? req.send(body) : req;
};

/** Every route, on every server that serves it, refuses `token` within a second. */
export function refusedEverywhere(servers: Server[], token: string): Promise<void> {
  return eventually(
    async () => {
      for (const { url: server, routes } of servers) {
        for (const route of routes) {
          const res = await call(server, token, route);
          expect({ server, route: route[1], status: res.status }).toEqual({
            server,
            route: route[1],
            status: 401,
          });
        }
      }
    },
    REVOKED_WITHIN_MS,
    20,
  );
}
