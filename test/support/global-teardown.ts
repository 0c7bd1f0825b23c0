import { reportCoverage } from './conformance-coverage';

/**
 * Jest's global teardown: stops what the global setup started (the MongoDB test server), and
 * reports which documented (operation, status) pairs of openapi.json the run's API traffic reached.
 */
export default function globalTeardown(): void {
  globalThis.cleaveTestCleanup?.();
  globalThis.cleaveTestCleanup = undefined;
  reportCoverage();
}
