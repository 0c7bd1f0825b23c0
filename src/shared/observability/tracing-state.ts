/**
 * Whether this process traces, and whether it makes Postgres query spans: set once by
 * `startTracing` (tracing.ts), read where spans would be made (the HTTP edge, the bus, the
 * module databases). A module of its own, so that asking does not load the OpenTelemetry SDK and
 * its instrumentations (a CLI that reads the bus' contracts never traces).
 */
let tracing = false;
let queries = false;

export function isTracing(): boolean {
  return tracing;
}

/** Whether sampled traces get a span per Postgres statement (`pg` not disabled). */
export function isTracingQueries(): boolean {
  return queries;
}

/** Called by `startTracing` once the SDK is registered. */
export function markTracing(options: { queries: boolean }): void {
  tracing = true;
  queries = options.queries;
}
