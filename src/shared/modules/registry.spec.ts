import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  BUSINESS_MODULES,
  descriptorOf,
  missingPeers,
  MODULE_REGISTRY,
  moduleOfRoute,
  outboxModules,
  type Registry,
} from './registry';

/** A fourth module, as one more registry line would add it. */
const WITH_BILLING: Registry = {
  ...MODULE_REGISTRY,
  billing: {
    routePrefix: '/api/billing',
    asks: ['user', 'order'],
    databaseVariable: 'BILLING_DATABASE_URL',
    outbox: { schema: 'cleave_billing' },
  },
};

describe('the module registry', () => {
  it('lists the business modules in the order they start', () => {
    expect(BUSINESS_MODULES).toEqual(['auth', 'user', 'order']);
  });

  it('finds a descriptor by name, and none for a name that is not a module', () => {
    expect(descriptorOf('order')?.databaseVariable).toBe('ORDER_DATABASE_URL');
    expect(descriptorOf('toString')).toBeUndefined();
    expect(descriptorOf('gateway')).toBeUndefined();
  });

  it('names the module of a route by its prefix, and edge for the rest', () => {
    expect(moduleOfRoute('/api/orders/:id')).toBe('order');
    expect(moduleOfRoute('/api/users/me')).toBe('user');
    expect(moduleOfRoute('/api/auth/*')).toBe('auth');
    expect(moduleOfRoute('/api/usersx')).toBe('edge');
    expect(moduleOfRoute('/health')).toBe('edge');
  });

  it('answers the same for a route asked again, and another registry gets its own answers', () => {
    for (let i = 0; i < 3; i++) {
      expect(moduleOfRoute('/api/billing/:id')).toBe('edge');
      expect(moduleOfRoute('/api/billing/:id', WITH_BILLING)).toBe('billing');
      expect(moduleOfRoute('/api/orders')).toBe('order');
    }
    // Past the routes it keeps, it still answers.
    for (let i = 0; i < 1_500; i++) expect(moduleOfRoute(`/api/users/${i}`)).toBe('user');
    expect(moduleOfRoute('/api/users/late')).toBe('user');
  });

  it('covers every route of the API: each /api path belongs to a registered module', () => {
    // The committed OpenAPI document (the repository's root).
    const openapi = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', 'openapi.json'), 'utf8'),
    ) as { paths: Record<string, unknown> };
    const apiPaths = Object.keys(openapi.paths).filter((p) => p.startsWith('/api/'));
    expect(apiPaths.length).toBeGreaterThan(5);
    expect(apiPaths.filter((p) => moduleOfRoute(p) === 'edge')).toEqual([]);
  });

  it('knows who must share a process on the local transport', () => {
    expect(missingPeers(new Set(['order']))).toEqual([
      { module: 'order', missing: ['user', 'auth'] },
    ]);
    expect(missingPeers(new Set(['auth', 'user', 'order']))).toEqual([]);
  });

  it('takes a fourth module from one registry line: routes, peers and outbox follow', () => {
    expect(moduleOfRoute('/api/billing/invoices/:id', WITH_BILLING)).toBe('billing');
    expect(missingPeers(new Set(['billing', 'user', 'auth']), WITH_BILLING)).toEqual([
      { module: 'billing', missing: ['order'] },
    ]);
    expect(outboxModules(WITH_BILLING)).toEqual(['user', 'order', 'billing']);
    expect(outboxModules()).toEqual(['user', 'order']);
  });
});
