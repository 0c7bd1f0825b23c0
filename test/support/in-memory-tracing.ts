import { AlwaysOnSampler, InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { startTracing } from '../../src/shared/observability/tracing';

/**
 * Tracing for the application in this test process, into memory. Import this module first,
 * before anything loads the HTTP, Postgres, Redis or MongoDB clients, as `main.ts` does.
 */
export const spanExporter = new InMemorySpanExporter();
// Every trace, whatever the default sampling: the tests look for the spans of their requests.
startTracing({
  serviceName: 'cleave-test',
  exporter: spanExporter,
  immediate: true,
  sampler: new AlwaysOnSampler(),
});
