/**
 * Whether this process traces: set once by `startTracing` (tracing.ts), read where spans would be
 * made (the HTTP edge, the bus). A module of its own, so that asking does not load the
 * OpenTelemetry SDK and its instrumentations (a CLI that reads the bus' contracts never traces).
 */
let tracing = false;

export function isTracing(): boolean {
  return tracing;
}

/** Called by `startTracing` once the SDK is registered. */
export function markTracing(): void {
  tracing = true;
}
