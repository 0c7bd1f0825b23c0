import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { eventually } from '../../support/api';
import { call, signUp } from '../../support/http-client';
import { OtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver';
import { AppProcess } from '../../support/process';
import { shapeTargets } from '../../support/services';
import { startSplitApp, type SplitApp } from '../../support/split';
import { expectTraceTree, LOGIN_HOPS, ORDER_HOPS } from '../../support/traces';

const ORDER = {
  items: [{ sku: 'SKU-1', name: 'Widget', quantity: 1, unitPriceCents: 500 }],
  currency: 'EUR',
};
const SERVER = 2; // OTLP SpanKind SERVER

type LogLine = Record<string, unknown> & { requestId?: string; traceId?: string };

/** Places an order with a request id of our own, which the answer echoes; the request id. */
async function placeOrder(url: string, token: string): Promise<string> {
  const requestId = `log-test-${randomUUID()}`;
  const res = await fetch(`${url}/api/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify(ORDER),
  });
  expect(res.status).toBe(201);
  expect(res.headers.get('x-request-id')).toBe(requestId);
  return requestId;
}

describeOrSkip(
  'observability of the split shape: logs and traces across processes',
  shapeTargets().includes('split') ? false : 'postgres, redis or nats unreachable',
  () => {
    let app: SplitApp;
    let receiver: OtlpReceiver;
    beforeAll(async () => {
      receiver = await OtlpReceiver.start();
      app = await startSplitApp(
        { LOG_LEVEL: 'info', ...receiver.exporterEnv },
        { captureLogs: true },
      );
    });
    afterAll(async () => {
      await app?.close();
      await receiver?.close();
    });

    const processes = () => ({
      gateway: app.gateway,
      auth: app.processes.auth,
      user: app.processes.user,
      order: app.processes.order,
    });
    const linesOf = (requestId: string) =>
      Object.fromEntries(
        Object.entries(processes()).map(([name, p]) => [
          name,
          p.logLines
            .filter((line) => line.includes(requestId))
            .map((line) => JSON.parse(line) as LogLine),
        ]),
      );

    it('one POST /api/orders: every line it causes, in every process, carries its request id and trace id, and no secret', async () => {
      const user = await signUp(app.url);
      const requestId = await placeOrder(app.url, user.token);

      // The gateway's and the order process' request lines, the user process' line for the
      // order.created event.
      const lines = await eventually(() => {
        const found = linesOf(requestId);
        expect(found.gateway?.some((l) => l.msg === 'request')).toBe(true);
        expect(found.order?.some((l) => l.msg === 'request')).toBe(true);
        expect(found.user?.some((l) => l.pattern === 'order.created')).toBe(true);
        return Promise.resolve(found);
      }, 15_000);

      const all = Object.values(lines).flat();
      const traceIds = new Set(all.map((l) => l.traceId));
      expect([...traceIds]).toHaveLength(1);
      const [traceId] = [...traceIds];
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      for (const line of all) {
        expect(line.requestId).toBe(requestId);
        expect(line.spanId).toMatch(/^[0-9a-f]{16}$/);
      }
      // And the other way round: no line of this trace lacks the request id.
      for (const p of Object.values(processes())) {
        for (const line of p.logLines.filter((l) => l.includes(traceId!))) {
          expect((JSON.parse(line) as LogLine).requestId).toBe(requestId);
        }
      }
      // The request lines: module, route template, status and duration.
      for (const [name, module] of [
        ['gateway', 'order'],
        ['order', 'order'],
      ] as const) {
        const line = lines[name].find((l) => l.msg === 'request')!;
        expect(line).toMatchObject({ module, method: 'POST', status: 201 });
        expect(line.route).toMatch(/^\/api\/orders/);
        expect(typeof line.ms).toBe('number');
      }
      expect(lines.order.find((l) => l.msg === 'request')!.route).toBe('/api/orders');
      expect(lines.user.find((l) => l.pattern === 'order.created')).toMatchObject({
        module: 'user',
        kind: 'event',
      });

      // No process ever logged the token, the password or an authorization header.
      const output = Object.values(processes())
        .flatMap((p) => p.logLines)
        .join('\n');
      expect(output).not.toContain(user.token);
      expect(output).not.toContain(user.token.split('.')[2]);
      expect(output).not.toContain(user.password);
      expect(output).not.toMatch(/bearer /i);
    });

    /** The SERVER span of `route` in `service` whose trace reached `last`, once exported. */
    const serverSpan = (service: string, route: string, last: string) => {
      const find = (): ReceivedSpan | undefined =>
        receiver.spans.find(
          (s) =>
            s.service === service &&
            s.kind === SERVER &&
            s.name === route &&
            receiver.spans.some((p) => p.traceId === s.traceId && p.name === last),
        );
      return eventually(() => {
        expect(find()).toBeDefined();
        return Promise.resolve(find()!);
      }, 15_000);
    };
    /**
     * The trace of `server` once it is one tree with these hops and the gateway's span at its
     * root, as each process exports its spans (every 100 ms, each on its own clock: the gateway's
     * may come after the last hop's); each span's process, by name.
     */
    const servicesOf = (server: ReceivedSpan, hops: Parameters<typeof expectTraceTree>[2]) =>
      eventually(() => {
        const trace = expectTraceTree(receiver.spans, server, hops) as ReceivedSpan[];
        const byId = new Map(trace.map((s) => [s.spanId, s]));
        const root = trace.find((s) => !s.parentSpanId || !byId.has(s.parentSpanId))!;
        expect(root.service).toBe('cleave-gateway');
        return Promise.resolve((name: string) =>
          trace.filter((s) => s.name === name).map((s) => s.service),
        );
      }, 15_000);

    it('one POST /api/orders is one trace tree: gateway → order module, and the event to its handler in the user module', async () => {
      const user = await signUp(app.url);
      const res = await call({ url: app.url, token: user.token }, 'POST', '/api/orders', ORDER);
      expect(res.status).toBe(201);
      const server = await serverSpan('cleave-order', 'POST /api/orders', 'order.created process');
      const services = await servicesOf(server, ORDER_HOPS);
      expect(services('order.created publish')).toEqual(['cleave-order']);
      expect(services('order.created process')).toEqual(['cleave-user']);
      // No request to another module on the order path.
      expect(
        receiver.spans.filter((s) => s.traceId === server.traceId && s.name.endsWith(' request')),
      ).toEqual([]);
      // No OTEL_EXPORTER_OTLP_PROTOCOL here: every process exported in protobuf, the default.
      expect(new Set(receiver.mediaTypes)).toEqual(new Set(['application/x-protobuf']));
    });

    it('one login is one trace tree: gateway → auth module → bus → the user module’s handler', async () => {
      const user = await signUp(app.url);
      const res = await fetch(`${app.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: user.password }),
      });
      expect(res.status).toBe(200);
      const server = await serverSpan(
        'cleave-auth',
        'POST /api/auth/login',
        'user.verify-credentials handle',
      );
      const services = await servicesOf(server, LOGIN_HOPS);
      expect(services('user.verify-credentials request')).toEqual(['cleave-auth']);
      expect(services('user.verify-credentials handle')).toEqual(['cleave-user']);
    });

    it('exports JetStream consumer lag per durable consumer, back to zero once events are handled', async () => {
      await eventually(async () => {
        const text = await (await fetch(`${app.processes.user.url}/metrics`)).text();
        for (const consumer of [
          'user-order-summary-created',
          'user-order-summary-status',
          'user-order-summary-cancelled',
        ]) {
          expect(text).toContain(`jetstream_consumer_pending_messages{consumer="${consumer}"} 0`);
          expect(text).toContain(
            `jetstream_consumer_ack_pending_messages{consumer="${consumer}"} 0`,
          );
        }
      }, 15_000);
    });
  },
);

describe('observability of the one-process shape as a real process', () => {
  let app: AppProcess;
  let receiver: OtlpReceiver;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const data = await AppProcess.prepare('pglite');
    cleanup = () => data.cleanup();
    app = await AppProcess.start(
      { ...data.env, LOG_LEVEL: 'info', ...receiver.exporterEnv },
      { captureLogs: true },
    );
  });
  afterAll(async () => {
    await app?.kill();
    await cleanup?.();
    await receiver?.close();
  });

  it('one POST /api/orders: the request line and the bus lines of the in-process transport share its request id and trace id', async () => {
    const user = await signUp(app.url);
    const requestId = await placeOrder(app.url, user.token);
    const lines = await eventually(() => {
      const found = app.logLines
        .filter((line) => line.includes(requestId))
        .map((line) => JSON.parse(line) as LogLine);
      // The request line and the order.created handler's.
      expect(found.map((l) => l.pattern ?? l.msg)).toEqual(
        expect.arrayContaining(['order.created', 'request']),
      );
      return Promise.resolve(found);
    }, 15_000);
    expect(new Set(lines.map((l) => l.traceId)).size).toBe(1);
    expect(lines[0].traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const line of lines) expect(line.requestId).toBe(requestId);
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({
      module: 'order',
      route: '/api/orders',
      method: 'POST',
      status: 201,
    });
    const output = app.logLines.join('\n');
    expect(output).not.toContain(user.token.split('.')[2]);
    expect(output).not.toContain(user.password);
  });
});
