import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ManagedProcess } from '../../src/launcher/managed-process';
import { type ChartLimit, imageMallocArenaMax } from '../chart';
import { inheritedEnv, pidOf, startOnFreePort, stopChild } from '../processes';
import { HOST, log } from '../settings';
import { workspace } from '../workspace';
import { measureMixed, readyMemory, type MixedResult } from './mixed';

/**
 * The default install: every module in one process with no database URL and no Redis, so on
 * the embedded Postgres (PGlite) under a fresh DATA_DIR and the in-memory auth store, as
 * `npm start` and the chart's default values run it. Its peak is what the chart's default
 * memory limit must hold (targets.ts).
 */

/** The embedded app started fresh, ready, with its idle RSS. */
export interface EmbeddedApp {
  process: ManagedProcess;
  port: number;
  readyMiB: Record<string, number>;
}

/**
 * Starts it on a data dir of its own in the workspace (`label`), empty, so that it starts as a
 * first install does: from the template the build wrote; with the heap the chart's container
 * gives it (chart.ts), as the memory it is held to is the chart's limit.
 */
export async function startEmbedded(label: string, chart: ChartLimit): Promise<EmbeddedApp> {
  const dataDir = join(workspace(), `${label}-data`);
  mkdirSync(dataDir);
  const { child: process, port } = await startOnFreePort({
    label,
    env: {
      ...inheritedEnv(),
      NODE_ENV: 'production',
      HOST,
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      // As the bench's other apps: many users log in from one address.
      AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_TOKEN_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000',
      NODE_OPTIONS: `--max-old-space-size=${chart.embeddedHeapMiB}`,
      // As in the image.
      MALLOC_ARENA_MAX: imageMallocArenaMax(),
    },
  });
  log(
    `${label} ready on ${HOST}:${port} (embedded Postgres in ${dataDir}, ` +
      `heap limit ${chart.embeddedHeapMiB} MiB as under the chart's ${chart.quantity})`,
  );
  const readyMiB = await readyMemory({ app: pidOf(process) });
  return { process, port, readyMiB };
}

/** The mixed load on the embedded app, started fresh and stopped after. */
export async function measureEmbedded(chart: ChartLimit): Promise<MixedResult> {
  const app = await startEmbedded('embedded', chart);
  try {
    const result = await measureMixed(
      'embedded',
      app.port,
      { app: pidOf(app.process) },
      app.readyMiB,
    );
    if (!app.process.running) {
      throw new Error(`the embedded app exited under the mixed load (${app.process.exitCode})`);
    }
    return result;
  } finally {
    await stopChild(app.process);
  }
}
