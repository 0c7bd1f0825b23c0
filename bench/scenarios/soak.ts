import { setTimeout as delay } from 'node:timers/promises';
import type { ChartLimit } from '../chart';
import { cpuSeconds, median } from '../measure';
import { resetHighWaterMark, RssSampler, statusMiB } from '../memory';
import { runMixed, type MixedFigures } from '../mixed';
import { readNodeMemory, type NodeMemory } from '../node-memory';
import { pidOf, stopChild } from '../processes';
import { log, settings } from '../settings';
import { startEmbedded } from './embedded';

/**
 * The soak: the embedded app (the default install) under a steady, paced mixed load for
 * BENCH_SOAK_MINUTES, its RSS sampled every second. A leak shows as growth from the end of the
 * first minute (caches, pools and the JIT warmed up by then) to the end of the last; the target
 * (targets.ts) holds it under a tenth. Paced well below what the app can serve, so that the
 * figure is about time, not about a backlog.
 */

const SAMPLE_MS = 1000;

/** The app's own heap and external memory (its /metrics): enough to see where growth went. */
const NODE_MEMORY_MS = 5000;

/**
 * "RSS at the end of a minute" is the median of that minute's last seconds: one sample would
 * land at a random point of the GC's sawtooth and could make or hide several MiB of growth.
 */
const END_OF_MINUTE_SEC = 10;

export interface SoakResult {
  minutes: number;
  load: MixedFigures;
  /** RSS once ready and settled, before the soak (MiB). */
  idleMiB: number;
  /** RSS at the end of each minute (MiB), the first minute first. */
  perMinuteMiB: number[];
  /** The app's V8 heap and external memory at the end of each minute (MiB; NaN unread). */
  perMinuteNode: NodeMemory[];
  firstMinuteMiB: number;
  lastMinuteMiB: number;
  growthMiB: number;
  /** growthMiB over firstMinuteMiB. */
  growth: number;
  /**
   * Where the growth went, first minute to last (MiB): the V8 heap's size, external memory
   * (mostly the embedded Postgres' WebAssembly memory), and the rest of the RSS (native).
   */
  growthSplitMiB: { heapTotal: number; external: number; rest: number };
  /** The highest 1-s sample, and the kernel's high-water mark over the soak (MiB). */
  peakMiB: number;
  hwmMiB: number | null;
  /** The app's CPU time over the soak's wall time, in % of one core: how far from saturated. */
  cpuPercent: number | null;
}

/** Samples of one figure or several, seconds after the soak started. */
type Series<T> = { atSec: number; value: T }[];

/** The soak, on a fresh embedded app stopped after; null when BENCH_SOAK_MINUTES=0. */
export async function soak(chart: ChartLimit): Promise<SoakResult | null> {
  const minutes = settings.soakMinutes;
  if (minutes === 0) {
    log('soak skipped (BENCH_SOAK_MINUTES=0)');
    return null;
  }
  const app = await startEmbedded('soak', chart);
  const pid = pidOf(app.process);
  try {
    const reset = resetHighWaterMark(pid);
    const cpuBefore = cpuSeconds(pid);
    const sampler = new RssSampler({ app: pid }, SAMPLE_MS, true);
    const node = pollNodeMemory(app.port);
    log(`soak: ${minutes} min at ${settings.soakRate} req/s with ${settings.mixedClients} clients`);
    let load: MixedFigures;
    try {
      load = await runMixed({
        port: app.port,
        clients: settings.mixedClients,
        durationSec: minutes * 60,
        rate: settings.soakRate,
      });
    } finally {
      sampler.stop();
      await node.stop();
    }
    if (!app.process.running) {
      throw new Error(`the embedded app exited during the soak (${app.process.exitCode})`);
    }
    const cpuAfter = cpuSeconds(pid);
    const rss = sampler.series.map((s) => ({ atSec: s.atSec, value: s.rss.app ?? NaN }));
    const result: SoakResult = {
      ...summarise(minutes, load, rss, node.series),
      idleMiB: app.readyMiB.app,
      peakMiB: sampler.peak.app,
      hwmMiB: reset ? statusMiB(pid, 'VmHWM') : null,
      cpuPercent:
        cpuBefore === null || cpuAfter === null
          ? null
          : ((cpuAfter - cpuBefore) / load.durationSec) * 100,
    };
    log(
      `soak: minute 1 ${result.firstMinuteMiB.toFixed(1)} MiB, minute ${minutes} ` +
        `${result.lastMinuteMiB.toFixed(1)} MiB (${(result.growth * 100).toFixed(1)} %)`,
    );
    return result;
  } finally {
    await stopChild(app.process);
  }
}

/** The app's /metrics memory gauges every NODE_MEMORY_MS until stopped. */
function pollNodeMemory(port: number): { series: Series<NodeMemory>; stop(): Promise<void> } {
  const series: Series<NodeMemory> = [];
  const startedAt = Date.now();
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const value = await readNodeMemory(port);
      if (value) series.push({ atSec: (Date.now() - startedAt) / 1000, value });
      await delay(NODE_MEMORY_MS, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();
  return {
    series,
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}

function summarise(
  minutes: number,
  load: MixedFigures,
  rss: Series<number>,
  node: Series<NodeMemory>,
): Pick<
  SoakResult,
  | 'minutes'
  | 'load'
  | 'perMinuteMiB'
  | 'perMinuteNode'
  | 'firstMinuteMiB'
  | 'lastMinuteMiB'
  | 'growthMiB'
  | 'growth'
  | 'growthSplitMiB'
> {
  const perMinuteMiB = endOfEachMinute(minutes, rss);
  const field = (pick: (m: NodeMemory) => number) =>
    endOfEachMinute(
      minutes,
      node.map((s) => ({ atSec: s.atSec, value: pick(s.value) })),
    );
  const heapTotals = field((m) => m.heapTotalMiB);
  const heapUsed = field((m) => m.heapUsedMiB);
  const externals = field((m) => m.externalMiB);
  const perMinuteNode = heapTotals.map((heapTotalMiB, i) => ({
    heapTotalMiB,
    heapUsedMiB: heapUsed[i],
    externalMiB: externals[i],
  }));
  const firstMinuteMiB = perMinuteMiB[0];
  const lastMinuteMiB = perMinuteMiB[minutes - 1];
  const growthMiB = lastMinuteMiB - firstMinuteMiB;
  const first = perMinuteNode[0];
  const last = perMinuteNode[minutes - 1];
  const heapTotal = last.heapTotalMiB - first.heapTotalMiB;
  const external = last.externalMiB - first.externalMiB;
  return {
    minutes,
    load,
    perMinuteMiB,
    perMinuteNode,
    firstMinuteMiB,
    lastMinuteMiB,
    growthMiB,
    growth: growthMiB / firstMinuteMiB,
    growthSplitMiB: { heapTotal, external, rest: growthMiB - heapTotal - external },
  };
}

/** The median of each minute's last END_OF_MINUTE_SEC seconds of `series`. */
function endOfEachMinute(minutes: number, series: Series<number>): number[] {
  return Array.from({ length: minutes }, (_, i) => {
    const end = (i + 1) * 60;
    return median(
      series.filter((s) => s.atSec > end - END_OF_MINUTE_SEC && s.atSec <= end).map((s) => s.value),
    );
  });
}
