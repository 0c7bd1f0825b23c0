import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otlpExporterFromEnv } from '../../../src/shared/observability/tracing';
import { OtlpReceiver } from '../../support/otlp-receiver';

const SERVER = 2;
const CLIENT = 3;

// What a collector gets from the app's exporter, in each encoding the configuration allows: a
// SERVER span and its CLIENT child, from a process named by the test, read back by the receiver.
describe('traces exported over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    // The exporters read their endpoint themselves, as the app's do.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    await receiver?.close();
  });

  const cases: Array<[string, Record<string, string>, string]> = [
    ['in protobuf by default (the specification’s default)', {}, 'application/x-protobuf'],
    [
      'in JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json',
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      'application/json',
    ],
    [
      'as OTEL_EXPORTER_OTLP_TRACES_PROTOCOL says over OTEL_EXPORTER_OTLP_PROTOCOL',
      {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      },
      'application/x-protobuf',
    ],
  ];
  it.each(cases)('%s', async (_name, env, mediaType) => {
    const service = `export-test-${receiver.mediaTypes.length}`;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [new SimpleSpanProcessor(otlpExporterFromEnv(env))],
    });
    try {
      const tracer = provider.getTracer('otlp-export-test');
      const server = tracer.startSpan('POST /api/orders', { kind: SpanKind.SERVER });
      const query = tracer.startSpan(
        'pg.query:INSERT',
        { kind: SpanKind.CLIENT },
        trace.setSpan(context.active(), server),
      );
      query.end();
      server.end();
      await provider.forceFlush();

      expect(receiver.mediaTypes.at(-1)).toBe(mediaType);
      const ids = server.spanContext();
      expect(receiver.spans.filter((s) => s.service === service)).toEqual([
        {
          service,
          traceId: ids.traceId,
          spanId: query.spanContext().spanId,
          parentSpanId: ids.spanId,
          name: 'pg.query:INSERT',
          kind: CLIENT,
        },
        {
          service,
          traceId: ids.traceId,
          spanId: ids.spanId,
          parentSpanId: undefined,
          name: 'POST /api/orders',
          kind: SERVER,
        },
      ]);
    } finally {
      await provider.shutdown();
    }
  });
});
