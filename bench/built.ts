import { join } from 'node:path';

/** The repository: this file runs as dist-bench/bench/built.js (tsconfig.bench.json). */
export const ROOT = join(__dirname, '..', '..');

/** The app as `npm run build` compiled it: what the bench measures. */
export const DIST = join(ROOT, 'dist');

/** The app's entry point, which every measured process runs. */
export const APP_MAIN = join(DIST, 'main.js');

/**
 * A module of the built app (a path below dist/), typed as its source in src/. The bench loads
 * the app from dist/ rather than from its own compilation so that it measures what
 * `npm run build` made, and so that code preloaded into an app process (the no-op tracing)
 * shares the app's module instances.
 */
export function built<Module>(file: string): Module {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known at run time
  return require(join(DIST, file)) as Module;
}
