import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { QUERY_SCOPE, querySpans, traceQuery } from './query-spans';
import { markTracing } from './tracing-state';

const TEXT = 'SELECT id, email FROM users WHERE id = $1';
const database = querySpans({ namespace: 'test|user', address: '127.0.0.1', port: 5432 });

describe('traceQuery (a span per Postgres statement, for recorded traces only)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const unsampledProvider = new NodeTracerProvider({ sampler: new AlwaysOffSampler() });

  beforeAll(() => {
    provider.register();
    markTracing({ queries: true });
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  /** Runs `fn` inside a request's span, recorded or not. */
  const inRequest = <T>(sampled: boolean, fn: () => Promise<T>) => {
    const tracer = (sampled ? provider : unsampledProvider).getTracer('test');
    const span = tracer.startSpan('GET /api/users/me', { kind: SpanKind.SERVER });
    return context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
      try {
        return await fn();
      } finally {
        span.end();
      }
    });
  };
  const querySpans = () =>
    exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === QUERY_SCOPE);

  it('gives a statement of a recorded trace a CLIENT span under the request, with the text and never the values', async () => {
    const rows = await inRequest(true, () =>
      traceQuery(database, TEXT, () => Promise.resolve([{ id: 'secret-value' }])),
    );
    expect(rows).toEqual([{ id: 'secret-value' }]);
    const [query] = querySpans();
    const request = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER);
    expect(query).toBeDefined();
    expect(query.name).toBe('SELECT test|user');
    expect(query.kind).toBe(SpanKind.CLIENT);
    expect(query.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    expect(query.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.namespace': 'test|user',
      'server.address': '127.0.0.1',
      'server.port': 5432,
      'db.operation.name': 'SELECT',
      'db.query.text': TEXT,
    });
    expect(query.status.code).toBe(SpanStatusCode.UNSET);
    expect(JSON.stringify(query.attributes)).not.toContain('secret-value');
  });

  it('marks a failed statement with its SQLSTATE, not its message, and passes the error on', async () => {
    const failure = Object.assign(
      new Error('duplicate key value violates unique constraint "users_email_key"'),
      { code: '23505', detail: 'Key (email)=(someone@example.com) already exists.' },
    );
    await expect(
      inRequest(true, () =>
        traceQuery(database, 'INSERT INTO users (email) VALUES ($1)', () =>
          Promise.reject(failure),
        ),
      ),
    ).rejects.toBe(failure);
    const [query] = querySpans();
    expect(query.name).toBe('INSERT test|user');
    expect(query.status).toEqual({ code: SpanStatusCode.ERROR, message: '23505' });
    expect(query.attributes['db.response.status_code']).toBe('23505');
    expect(query.attributes['error.type']).toBe('23505');
    const { name, attributes: recorded, status, events } = query;
    expect(JSON.stringify({ name, recorded, status, events })).not.toMatch(/someone|duplicate key/);
  });

  it('makes no span for a trace that is not recorded, nor outside any trace, and still runs the statement once', async () => {
    let runs = 0;
    const run = () => Promise.resolve(++runs);
    expect(await inRequest(false, () => traceQuery(database, TEXT, run))).toBe(1);
    expect(await traceQuery(database, TEXT, run)).toBe(2);
    expect(querySpans()).toEqual([]);
  });

  it('makes none when query spans are left off (OTEL_NODE_DISABLED_INSTRUMENTATIONS=pg)', async () => {
    markTracing({ queries: false });
    try {
      await inRequest(true, () => traceQuery(database, TEXT, () => Promise.resolve([])));
    } finally {
      markTracing({ queries: true });
    }
    expect(querySpans()).toEqual([]);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});
