import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { PooledIdGenerator } from './trace-ids';
import { markTracing } from './tracing-state';

export interface TracingOptions {
  serviceName: string;
  /** Client spans left off: any of `undici`, `pg` (the module databases' queries), `ioredis`, `mongodb`. */
  disabled?: string[];
  /** Where spans go; without one, tracing stays off. */
  exporter?: SpanExporter;
  /** Export each span at once (tests) rather than in batches. */
  immediate?: boolean;
  /** Which traces are recorded; `samplerFromEnv()` unless given. */
  sampler?: Sampler;
}

/**
 * The share of traces started here that are recorded when `OTEL_TRACES_SAMPLER` says nothing:
 * one in ten. A trace a caller started keeps the caller's decision.
 */
export const DEFAULT_TRACE_RATIO = 0.1;

/**
 * The sampler `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG` name (the SDK reads them), or,
 * without them, `parentbased_traceidratio` at `DEFAULT_TRACE_RATIO`. Every trace:
 * `OTEL_TRACES_SAMPLER=parentbased_always_on`.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv = process.env): Sampler | undefined {
  if (env.OTEL_TRACES_SAMPLER) return undefined;
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(DEFAULT_TRACE_RATIO) });
}

export interface Tracing {
  /** Exports what is buffered and stops: call once, at process exit. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/**
 * Starts OpenTelemetry for this process: W3C trace context, spans for incoming HTTP (see
 * `traceRequests`) and outgoing HTTP (undici/fetch), Postgres (PGlite included: `traceQuery`),
 * Redis (`ioredis`) and MongoDB, and the bus spans the code makes through `@opentelemetry/api`. Must run before those clients are first required,
 * which is why `main.ts` calls it before importing the application.
 *
 * Off (the default), nothing is registered: the API's no-op tracer costs next to nothing and
 * no trace context is propagated.
 */
export function startTracing(options: TracingOptions): Tracing | undefined {
  if (active || !options.exporter) return active;
  // Without a sampler given, the SDK builds one from OTEL_TRACES_SAMPLER(_ARG).
  const sampler = options.sampler ?? samplerFromEnv();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    idGenerator: new PooledIdGenerator(),
    ...(sampler && { sampler }),
    spanProcessors: [
      options.immediate
        ? new SimpleSpanProcessor(options.exporter)
        : new BatchSpanProcessor(options.exporter),
    ],
  });
  provider.register();
  const disabled = options.disabled ?? [];
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: clientInstrumentations(disabled),
  });
  markTracing({ queries: !disabled.includes('pg') });
  active = {
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
  return active;
}

/**
 * Spans of the clients: outgoing HTTP (the gateway's proxied calls), Redis, MongoDB. Postgres'
 * are made by the module databases themselves (`traceQuery`, query-spans.ts), for sampled traces
 * only.
 */
function clientInstrumentations(disabled: string[]): Instrumentation[] {
  const all: Record<string, () => Instrumentation> = {
    undici: () => new UndiciInstrumentation(),
    ioredis: () => new IORedisInstrumentation({ requireParentSpan: true }),
    mongodb: () => new MongoDBInstrumentation({ requireParentSpan: true }),
  };
  // Incoming HTTP is traced by `traceRequests`, not by the HTTP instrumentation, which
  // measured at a third of the throughput of GET /api/users/me.
  return Object.entries(all)
    .filter(([name]) => !disabled.includes(name))
    .map(([, make]) => make());
}

/**
 * Tracing as the environment configures it: on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) names a collector, spans exported there over OTLP/HTTP
 * (`otlpExporterFromEnv`), as `serviceName` (the configuration's: `OTEL_SERVICE_NAME`,
 * `cleave-<modules>` by default); `OTEL_NODE_DISABLED_INSTRUMENTATIONS`
 * (`pg,ioredis,mongodb,undici`) leaves client spans off; `OTEL_TRACES_SAMPLER`/
 * `OTEL_TRACES_SAMPLER_ARG` choose the sampler (default: one trace in ten, see `samplerFromEnv`).
 */
export function startTracingFromEnv(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): Tracing | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return active;
  return startTracing({
    serviceName,
    exporter: otlpExporterFromEnv(env),
    disabled: (env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  });
}

/**
 * The OTLP/HTTP exporter `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` (or `OTEL_EXPORTER_OTLP_PROTOCOL`)
 * names: protobuf, the OpenTelemetry specification's default (a span of `GET /api/users/me` is
 * 379 bytes in it, 876 as JSON, and `/me` served a median 6.5 % more with it), or JSON. Each
 * reads the exporter's other standard variables itself (endpoint, headers, timeout, compression).
 */
export function otlpExporterFromEnv(env: NodeJS.ProcessEnv = process.env): SpanExporter {
  const protocol =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  return protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
}
