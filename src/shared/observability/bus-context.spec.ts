import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PinoLogger } from 'nestjs-pino';
import { inBackground, receiveTraced, REQUEST_ID_HEADER, sendTraced } from './bus-context';
import { createRootLogger, loggerParams } from './logger';
import { markTracing } from './tracing-state';

/**
 * Which request and trace the lines written around a bus message belong to, in a tracing process
 * (the API's own tracer: its spans continue the sender's trace and record nothing).
 */
describe('the logging context of a bus message', () => {
  const lines: Array<Record<string, unknown>> = [];
  let logs: PinoLogger;
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const stored = {
    traceparent: `00-${traceId}-b7ad6b7169203331-01`,
    [REQUEST_ID_HEADER]: 'req-stored',
  };

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    markTracing({ queries: true });
    const root = createRootLogger({ logLevel: 'info', logFormat: 'json' }, 'cleave-test', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    logs = new PinoLogger(loggerParams(root));
  });
  afterAll(() => {
    context.disable();
    propagation.disable();
  });

  it('gives what is logged while the relay publishes a stored event the id and trace of the request that caused it', async () => {
    lines.length = 0;
    const headers = await inBackground(() =>
      sendTraced(
        'order.created',
        'event',
        (sent) => {
          logs.error('event order.created set aside unread');
          return Promise.resolve(sent);
        },
        stored,
      ),
    );
    expect(lines[0]).toMatchObject({ requestId: 'req-stored', traceId });
    expect(headers).toMatchObject({ [REQUEST_ID_HEADER]: 'req-stored' });
    expect(headers.traceparent).toContain(traceId);
  });

  it("binds a handler's lines and its own line to the sender's request id and trace", async () => {
    lines.length = 0;
    await context.with(ROOT_CONTEXT, () =>
      receiveTraced('user.check-account', 'request', 'user', stored, () => {
        logs.info('in the handler');
        return Promise.resolve(true);
      }),
    );
    const bound = { requestId: 'req-stored', module: 'user', traceId };
    expect(lines.find((l) => l.msg === 'in the handler')).toMatchObject(bound);
    expect(lines.find((l) => l.msg === 'bus message')).toMatchObject({
      ...bound,
      kind: 'request',
      pattern: 'user.check-account',
    });
  });

  it('binds nothing of a request to what is logged with no request behind it', async () => {
    lines.length = 0;
    await inBackground(() => sendTraced('user.check-account', 'request', () => Promise.resolve()));
    await receiveTraced('order.created', 'event', 'user', {}, () => {
      logs.info('no sender');
      return Promise.resolve();
    });
    for (const line of lines) {
      expect(line).not.toHaveProperty('requestId');
      expect(line).not.toHaveProperty('traceId');
    }
    expect(lines.map((l) => l.msg)).toEqual(['no sender', 'bus message']);
  });
});
