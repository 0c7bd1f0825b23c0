import { settledRss, watchMemory, type Memory, type Pids } from '../memory';
import { runMixed, type MixedFigures } from '../mixed';
import { log, settings } from '../settings';

/**
 * The mixed load (bench/mixed.ts) against one shape, with the memory of every process that
 * serves it: the figures that say whether a shape fits its chart's memory limit. The runner
 * measures it on the embedded default, on the one process on Postgres and on the split shape.
 */

export type ShapeName = 'embedded' | 'one process' | 'split';

export interface MixedResult extends MixedFigures {
  name: string;
  shape: ShapeName;
  /** Each process's RSS once it was ready and had settled, before any request (MiB). */
  readyMiB: Record<string, number>;
  /** Idle just before the load's warm-up, and peak through warm-up and measurement. */
  memory: Memory;
}

/** Each process's RSS once ready and settled: a shape's idle. */
export async function readyMemory(processes: Pids): Promise<Record<string, number>> {
  const ready = await settledRss(processes);
  log(
    `idle once ready: ${Object.entries(ready)
      .map(([name, mib]) => `${name} ${mib.toFixed(0)} MiB`)
      .join(', ')}`,
  );
  return ready;
}

/** A warm-up (discarded) and BENCH_DURATION seconds of the mixed load on `port`. */
export async function measureMixed(
  shape: ShapeName,
  port: number,
  processes: Pids,
  readyMiB: Record<string, number>,
): Promise<MixedResult> {
  const name = `mixed load (${shape})`;
  const clients = settings.mixedClients;
  const { result, memory } = await watchMemory(processes, async () => {
    if (settings.warmup > 0) {
      log(`${name}: warm-up ${settings.warmup} s`);
      await runMixed({ port, clients, durationSec: settings.warmup });
    }
    log(`${name}: measuring ${settings.duration} s with ${clients} clients`);
    return runMixed({ port, clients, durationSec: settings.duration });
  });
  const peaks = Object.entries(memory).map(([p, m]) => `${p} ${m.peakMiB.toFixed(0)}`);
  log(`${name}: ${result.requestsPerSec.toFixed(0)} req/s; peak RSS MiB: ${peaks.join(', ')}`);
  return { name, shape, ...result, readyMiB, memory };
}
