import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { context, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createRootLogger, loggerParams, logRequests } from './logger';

describe('the request log (logRequests)', () => {
  const lines: Array<Record<string, unknown>> = [];
  let fastify: FastifyInstance;
  let logs: PinoLogger;
  let answerSlow: ((value: unknown) => void) | undefined;

  beforeAll(async () => {
    const root = createRootLogger({ logLevel: 'info', logFormat: 'json' }, 'cleave-test', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    logs = new PinoLogger(loggerParams(root));
    fastify = Fastify({ genReqId: () => 'req-1' });
    logRequests(fastify, logs);
    // A hook after it, as the rate limits are: what it logs carries the request id too.
    fastify.addHook('onRequest', (request, reply, done) => {
      logs.info({ hook: true }, 'in a hook');
      if (request.url === '/api/refused') return void reply.code(429).send();
      done();
    });
    fastify.get('/api/users/:id', () => {
      logs.info('in the handler');
      return { ok: true };
    });
    fastify.get('/api/orders', () => {
      throw new Error('boom');
    });
    fastify.get('/health', () => ({ status: 'ok' }));
    fastify.get('/api/orders/slow', () => new Promise((resolve) => (answerSlow = resolve)));
    await fastify.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => fastify.close());

  const linesOf = (msg: string) => lines.filter((line) => line.msg === msg);

  it('writes one line per request with request id, method, route template, module, status and duration; every line written meanwhile carries the request id', async () => {
    lines.length = 0;
    await fastify.inject({ method: 'GET', url: '/api/users/user-7f3a9c?x=secret-query' });
    expect(linesOf('request')).toEqual([
      expect.objectContaining({
        level: 30,
        requestId: 'req-1',
        method: 'GET',
        route: '/api/users/:id',
        module: 'user',
        status: 200,
        ms: expect.any(Number),
      }),
    ]);
    expect(linesOf('in a hook')[0]).toMatchObject({ requestId: 'req-1' });
    expect(linesOf('in the handler')[0]).toMatchObject({ requestId: 'req-1' });
    // Neither the id in the path nor the query string is logged: the route template stands for both.
    expect(JSON.stringify(lines)).not.toContain('user-7f3a9c');
    expect(JSON.stringify(lines)).not.toContain('secret-query');
  });

  it('logs 4xx at warn and 5xx at error, refusals of earlier hooks and unmatched routes included', async () => {
    lines.length = 0;
    await fastify.inject({ method: 'GET', url: '/api/refused' });
    await fastify.inject({ method: 'GET', url: '/api/nothing-here' });
    await fastify.inject({ method: 'GET', url: '/api/orders' });
    expect(linesOf('request')).toEqual([
      expect.objectContaining({ level: 40, status: 429, requestId: 'req-1' }),
      expect.objectContaining({ level: 40, status: 404, route: 'unmatched', module: 'edge' }),
    ]);
    expect(linesOf('request failed')).toEqual([
      expect.objectContaining({
        level: 50,
        status: 500,
        route: '/api/orders',
        module: 'order',
        error: 'failed with status code 500',
      }),
    ]);
  });

  it('binds the trace and span id active on arrival to every line of the request, its request line included, and none without a span', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const spanContext = {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.NONE,
      };
      // As traceRequests serves a request in a tracing process: the handler inside its span.
      const traced = Fastify({
        genReqId: () => 'req-2',
        serverFactory: (handler) =>
          createServer((request, response) =>
            context.with(traceContextOf(spanContext), () => handler(request, response)),
          ),
      });
      logRequests(traced, logs);
      traced.get('/api/users/:id', () => {
        logs.info('in the handler');
        return { ok: true };
      });
      await traced.listen({ host: '127.0.0.1', port: 0 });
      try {
        lines.length = 0;
        const { port } = traced.server.address() as AddressInfo;
        expect((await fetch(`http://127.0.0.1:${port}/api/users/u-1`)).status).toBe(200);
        await until(() => linesOf('request').length > 0);
      } finally {
        await traced.close();
      }
      const ids = { traceId: spanContext.traceId, spanId: spanContext.spanId };
      expect(linesOf('in the handler')[0]).toMatchObject({ ...ids, requestId: 'req-2' });
      expect(linesOf('request')[0]).toMatchObject({ ...ids, requestId: 'req-2', status: 200 });

      lines.length = 0;
      await fastify.inject({ method: 'GET', url: '/api/users/u-1' });
      expect(linesOf('request')[0]).not.toHaveProperty('traceId');
      expect(linesOf('in the handler')[0]).not.toHaveProperty('spanId');
    } finally {
      context.disable();
    }
  });

  it('does not log probes', async () => {
    lines.length = 0;
    await fastify.inject({ method: 'GET', url: '/health' });
    expect(linesOf('request')).toEqual([]);
  });

  it('logs a request whose client hung up before the answer', async () => {
    lines.length = 0;
    const { port } = fastify.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /api/orders/slow HTTP/1.1\r\nhost: x\r\n\r\n');
    await until(() => answerSlow !== undefined);
    socket.destroy();
    await until(() => linesOf('request aborted').length > 0);
    expect(linesOf('request aborted')).toEqual([
      expect.objectContaining({
        level: 30,
        requestId: 'req-1',
        method: 'GET',
        route: '/api/orders/slow',
        module: 'order',
        aborted: true,
      }),
    ]);
    answerSlow?.({ late: true });
  });
});

/** The active context with `spanContext` as its (non-recording) span. */
function traceContextOf(spanContext: SpanContext) {
  return trace.setSpanContext(context.active(), spanContext);
}

/** Waits for `condition`, up to 5 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
