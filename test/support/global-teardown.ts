/** Jest's global teardown: stops what the global setup started (the MongoDB test server). */
export default function globalTeardown(): void {
  globalThis.cleaveTestCleanup?.();
  globalThis.cleaveTestCleanup = undefined;
}
