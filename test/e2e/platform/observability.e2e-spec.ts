// Tracing must start before the application (and its database clients) is loaded.
import { spanExporter } from '../../support/in-memory-tracing';
import { describe, expect, it } from '@jest/globals';
import { SpanKind } from '@opentelemetry/api';
import request from 'supertest';
import { useTestApp } from '../../support/app';
import {
  createOrder,
  eventually,
  expectProblem,
  login,
  sendKnownTraffic,
  signUpAndLogin,
} from '../../support/api';
import { handled, sample } from '../../support/metrics';
import { expectTraceTree, LOGIN_HOPS, ORDER_HOPS, type TreeSpan } from '../../support/traces';
import { availableServices } from '../../support/services';
import { describeOrSkip } from '../../support/skip';
import { QUERY_SCOPE } from '../../../src/shared/observability/query-spans';

/**
 * Liveness fails when the loop was blocked beyond this. Far above what a loaded machine does to
 * a healthy process, so that the test's own stall is the only one.
 */
const LOOP_LIMIT_MS = 1000;

describe('observability of the one-process shape', () => {
  const app = useTestApp({
    store: 'pglite',
    env: { HEALTH_MAX_EVENT_LOOP_DELAY_MS: String(LOOP_LIMIT_MS) },
  });

  const spans = (): TreeSpan[] =>
    spanExporter.getFinishedSpans().map((s) => ({
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parentSpanId: s.parentSpanContext?.spanId,
      name: s.name,
    }));
  /** The finished SERVER span of `route`, once `last` (a span of its trace) is finished too. */
  const serverSpan = (route: string, last: string) =>
    eventually(() => {
      const found = spanExporter
        .getFinishedSpans()
        .find((s) => s.kind === SpanKind.SERVER && s.name === route);
      expect(found).toBeDefined();
      expect(spans().some((s) => s.name === last)).toBe(true);
      return Promise.resolve(found!);
    }, 10_000);
  const treeSpan = (span: Awaited<ReturnType<typeof serverSpan>>): TreeSpan => ({
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    name: span.name,
  });

  it('traces one POST /api/orders as one tree: HTTP, the event and its handler, the database', async () => {
    const account = await signUpAndLogin(app);
    spanExporter.reset();
    const order = await createOrder(app, account);
    const server = await serverSpan('POST /api/orders', 'order.created process');
    expect(server.attributes['http.route']).toBe('/api/orders');
    expect(server.attributes['http.response.status_code']).toBe(201);
    const trace = expectTraceTree(spans(), treeSpan(server), ORDER_HOPS);
    // The stores are traced too: the order's insert is a Postgres (PGlite) span of this trace.
    const pgSpans = spanExporter
      .getFinishedSpans()
      .filter(
        (s) =>
          s.spanContext().traceId === server.spanContext().traceId &&
          s.attributes['db.system.name'] === 'postgresql',
      );
    expect(pgSpans.length).toBeGreaterThan(0);
    // Named by operation and namespace (the embedded database and the module's schema), with the
    // statement's text and never its values (the order's id and its items are bound parameters).
    const insert = pgSpans.find((s) =>
      String(s.attributes['db.query.text']).includes('INSERT INTO orders'),
    );
    expect(insert?.attributes['db.namespace']).toMatch(/^postgres\|\w+$/);
    expect(insert?.name).toBe(
      `${String(insert?.attributes['db.operation.name'])} ${String(insert?.attributes['db.namespace'])}`,
    );
    const recorded = JSON.stringify(pgSpans.map((s) => [s.name, s.attributes]));
    expect(recorded).not.toContain(order.id);
    expect(recorded).not.toContain(order.items[0].sku);
    // Raw ids never name a span: names are route templates and patterns.
    expect(trace.filter((s) => s.name.includes(order.id))).toEqual([]);
  });

  it('traces one login as one tree: HTTP, the bus hop to the user module and its handler', async () => {
    const account = await signUpAndLogin(app);
    spanExporter.reset();
    await login(app, account.email, account.password);
    const server = await serverSpan('POST /api/auth/login', 'user.verify-credentials handle');
    expectTraceTree(spans(), treeSpan(server), LOGIN_HOPS);
  });

  it('/health fails while the event loop was blocked beyond the limit, and recovers by itself', async () => {
    await eventually(() => request(app.url).get('/health').expect(200, { status: 'ok' }), 30_000);
    const blockedUntil = Date.now() + 3 * LOOP_LIMIT_MS;
    while (Date.now() < blockedUntil) {
      // Busy: the event loop (the app's too, it runs in this process) is blocked.
    }
    const res = await request(app.url).get('/health');
    expectProblem(res, 503);
    expect((res.body as { eventLoopBlockedMs: number }).eventLoopBlockedMs).toBeGreaterThanOrEqual(
      2 * LOOP_LIMIT_MS,
    );
    expect((res.body as { detail: string }).detail).toMatch(/event loop was blocked/);
    // The stall leaves liveness failing for 10 s; then it recovers by itself.
    await eventually(() => request(app.url).get('/health').expect(200), 60_000, 250);
  });
});

const productionStores = ['postgres', 'redis', 'mongo'].filter((s) => !availableServices().has(s));

describeOrSkip(
  'traces of the production stores in the one-process shape',
  productionStores.length > 0 ? `needs ${productionStores.join(', ')}` : false,
  () => {
    // Orders on MongoDB, users on Postgres, sessions on Redis.
    const app = useTestApp({ store: 'mongo' });

    it('has Postgres, Redis and MongoDB client spans inside the requests that used them', async () => {
      spanExporter.reset();
      const account = await signUpAndLogin(app);
      await createOrder(app, account);
      const clientSpans = await eventually(() => {
        const byScope = new Map<string, number>();
        for (const span of spanExporter.getFinishedSpans()) {
          if (span.kind !== SpanKind.CLIENT || !span.parentSpanContext) continue;
          const scope = span.instrumentationScope.name;
          byScope.set(scope, (byScope.get(scope) ?? 0) + 1);
        }
        expect([...byScope.keys()]).toEqual(
          expect.arrayContaining([
            QUERY_SCOPE,
            '@opentelemetry/instrumentation-ioredis',
            '@opentelemetry/instrumentation-mongodb',
          ]),
        );
        return Promise.resolve(byScope);
      }, 10_000);
      expect(clientSpans.size).toBeGreaterThanOrEqual(3);
    });
  },
);

describe('RED metrics after known traffic', () => {
  const app = useTestApp({ store: 'pglite' });

  it('counts requests per route template and status, bus requests, handlers and events per pattern, with bounded labels', async () => {
    const { account, missingOrderId, orders } = await sendKnownTraffic(app, 3);
    const scrape = async () => (await request(app.url).get('/metrics').expect(200)).text;

    const text = await eventually(async () => {
      const text = await scrape();
      // Both order.created events handled (the summary handler), after the relay published them.
      expect(handled(text, 'event', 'order.created')).toBe(2);
      return text;
    }, 10_000);

    const http = (method: string, route: string, status: number) =>
      sample(text, 'http_request_duration_seconds_count', {
        method,
        route,
        status_code: String(status),
      });
    expect(http('GET', '/api/users/me', 200)).toBe(3);
    expect(http('POST', '/api/orders', 201)).toBe(2);
    expect(http('GET', '/api/orders/:id', 404)).toBe(1);
    expect(http('POST', '/api/auth/login', 401)).toBe(1);
    // Buckets are cumulative and end in +Inf = count.
    const labels = { method: 'GET', route: '/api/users/me', status_code: '200' };
    expect(sample(text, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(3);
    expect(
      sample(text, 'http_request_duration_seconds_bucket', { ...labels, le: '0.001' }),
    ).toBeLessThanOrEqual(3);
    expect(sample(text, 'http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);

    // One credential check per login (the right password and the wrong one), answered; the
    // handler side saw the same. Orders ask no other module.
    const busRequest = { pattern: 'user.verify-credentials', outcome: 'ok' };
    expect(sample(text, 'bus_request_duration_seconds_count', busRequest)).toBe(2);
    expect(sample(text, 'bus_request_duration_seconds_bucket', { ...busRequest, le: '+Inf' })).toBe(
      2,
    );
    expect(handled(text, 'request', 'user.verify-credentials')).toBe(2);
    expect(
      sample(text, 'bus_request_duration_seconds_count', { pattern: 'user.check-account' }),
    ).toBeUndefined();
    expect(
      sample(text, 'bus_publish_duration_seconds_count', {
        pattern: 'order.created',
        outcome: 'ok',
      }),
    ).toBe(2);
    // Outbox, breakers and the process are there too.
    expect(sample(text, 'outbox_pending_events', { module: 'order' })).toBeDefined();
    expect(sample(text, 'outbox_published_total', { module: 'order' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'circuit_breaker_state', { name: 'bus.user.verify-credentials' })).toBe(0);
    expect(sample(text, 'process_cpu_user_seconds_total', {})).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds', {})).toBeDefined();
    // Label sets stay bounded: no raw path, id or email anywhere.
    for (const id of [missingOrderId, account.id, ...orders.map((o) => o.id)])
      expect(text).not.toContain(id);
    expect(text).not.toContain(account.email);
  });
});
