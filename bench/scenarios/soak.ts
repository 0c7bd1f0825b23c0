import type { ChartLimit } from '../chart';
import { cpuSeconds } from '../measure';
import { resetHighWaterMark, RssSampler, statusMiB } from '../memory';
import { runMixed, type MixedFigures } from '../mixed';
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
  firstMinuteMiB: number;
  lastMinuteMiB: number;
  growthMiB: number;
  /** growthMiB over firstMinuteMiB. */
  growth: number;
  /** The highest 1-s sample, and the kernel's high-water mark over the soak (MiB). */
  peakMiB: number;
  hwmMiB: number | null;
  /** The app's CPU time over the soak's wall time, in % of one core: how far from saturated. */
  cpuPercent: number | null;
}

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
    }
    if (!app.process.running) {
      throw new Error(`the embedded app exited during the soak (${app.process.exitCode})`);
    }
    const result = summarise(minutes, load, app.readyMiB.app, sampler);
    const hwmMiB = reset ? statusMiB(pid, 'VmHWM') : null;
    const cpuAfter = cpuSeconds(pid);
    const cpuPercent =
      cpuBefore === null || cpuAfter === null
        ? null
        : ((cpuAfter - cpuBefore) / load.durationSec) * 100;
    log(
      `soak: minute 1 ${result.firstMinuteMiB.toFixed(1)} MiB, minute ${minutes} ` +
        `${result.lastMinuteMiB.toFixed(1)} MiB (${(result.growth * 100).toFixed(1)} %)`,
    );
    return { ...result, hwmMiB, cpuPercent };
  } finally {
    await stopChild(app.process);
  }
}

function summarise(
  minutes: number,
  load: MixedFigures,
  idleMiB: number,
  sampler: RssSampler,
): Omit<SoakResult, 'hwmMiB' | 'cpuPercent'> {
  const perMinuteMiB = Array.from({ length: minutes }, (_, i) =>
    median(
      sampler.series
        .filter((s) => s.atSec > (i + 1) * 60 - END_OF_MINUTE_SEC && s.atSec <= (i + 1) * 60)
        .map((s) => s.rss.app),
    ),
  );
  const firstMinuteMiB = perMinuteMiB[0];
  const lastMinuteMiB = perMinuteMiB[minutes - 1];
  const growthMiB = lastMinuteMiB - firstMinuteMiB;
  return {
    minutes,
    load,
    idleMiB,
    perMinuteMiB,
    firstMinuteMiB,
    lastMinuteMiB,
    growthMiB,
    growth: growthMiB / firstMinuteMiB,
    peakMiB: sampler.peak.app,
  };
}

function median(values: number[]): number {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
