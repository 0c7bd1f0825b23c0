// Preloaded (`node -r`) by the bench's observability scenario: tracing on, every span made and
// sampled, then dropped by a no-op exporter, so the run measures what tracing costs the app
// without an exporter's cost. BENCH_TRACING_DISABLED leaves client instrumentations off (as
// OTEL_NODE_DISABLED_INSTRUMENTATIONS). The app's own tracing module (from dist/) is started, so
// that the app sees tracing on.
import { built } from './built';

const { startTracing } = built<typeof import('../src/shared/observability/tracing')>(
  'shared/observability/tracing.js',
);

startTracing({
  serviceName: process.env.OTEL_SERVICE_NAME || 'cleave-bench',
  disabled: (process.env.BENCH_TRACING_DISABLED || '').split(',').filter(Boolean),
  exporter: {
    export: (_spans, done) => done({ code: 0 }),
    shutdown: () => Promise.resolve(),
    forceFlush: () => Promise.resolve(),
  },
});
