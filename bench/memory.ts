import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { log } from './settings';

/**
 * Resident memory of the processes that serve a scenario, from Linux' /proc: what the kernel
 * counts against a container's memory limit is close to the RSS (plus page cache), so RSS is
 * what says whether a shape fits its chart's limit.
 */

/** The processes to watch, by the name the report gives them (`app`, `gateway`, `user`, ...). */
export type Pids = Record<string, number>;

/** One process during one scenario, in MiB. */
export interface ProcessMemory {
  /** Once it had settled, just before the scenario's warm-up. */
  idleMiB: number;
  /** The highest of the samples taken every SAMPLE_MS during warm-up and measurement. */
  peakMiB: number;
  /**
   * The kernel's own high-water mark (VmHWM) over the same span, reset just before it: it also
   * catches a spike shorter than the sampling interval. Null when it could not be reset.
   */
  hwmMiB: number | null;
}

export type Memory = Record<string, ProcessMemory>;

/** Often enough to see a burst of argon2 hashes (19 MiB each, a few ms) come and go. */
const SAMPLE_MS = 100;

/** Settled: no process's RSS moved by more than this within SETTLE_WINDOW_MS. */
const SETTLE_SPREAD_MIB = 1;
const SETTLE_WINDOW_MS = 2000;
/** After a load the GC and the allocator return memory within seconds; never wait longer. */
const SETTLE_WITHIN_MS = 10_000;

const KIB_PER_MIB = 1024;

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM), in MiB; null once the process is gone. */
export function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match ? Number(match[1]) / KIB_PER_MIB : null;
  } catch {
    return null;
  }
}

export function rssMiB(pid: number): number | null {
  return statusMiB(pid, 'VmRSS');
}

/** Each process's RSS now; a process that is gone is left out. */
export function readRss(pids: Pids): Record<string, number> {
  const rss: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const value = rssMiB(pid);
    if (value !== null) rss[name] = value;
  }
  return rss;
}

/**
 * Resets the process's VmHWM to its current RSS (`echo 5 > /proc/<pid>/clear_refs`, Linux 4.0+;
 * the bench's own children, so allowed), so that the next reading is the peak of what follows.
 */
export function resetHighWaterMark(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Each process's RSS once it stopped moving (spread under SETTLE_SPREAD_MIB over
 * SETTLE_WINDOW_MS), or the last reading after SETTLE_WITHIN_MS: what it holds at idle, not
 * the tail of what ran before.
 */
export async function settledRss(pids: Pids): Promise<Record<string, number>> {
  const deadline = Date.now() + SETTLE_WITHIN_MS;
  const window: Record<string, number>[] = [];
  const keep = Math.ceil(SETTLE_WINDOW_MS / 250) + 1;
  for (;;) {
    window.push(readRss(pids));
    if (window.length > keep) window.shift();
    const settled =
      window.length === keep &&
      Object.keys(pids).every((name) => {
        const values = window.map((w) => w[name] ?? NaN);
        return Math.max(...values) - Math.min(...values) < SETTLE_SPREAD_MIB;
      });
    if (settled) return window[window.length - 1];
    if (Date.now() > deadline) {
      log(`memory: RSS still moving after ${SETTLE_WITHIN_MS} ms; idle is the last reading`);
      return window[window.length - 1];
    }
    await delay(250);
  }
}

/** RSS sampled at a fixed interval: each process's highest, and with `keepSeries` every sample. */
export class RssSampler {
  readonly peak: Record<string, number> = {};
  /** Seconds since the start, and each process's RSS then (kept with `keepSeries`). */
  readonly series: { atSec: number; rss: Record<string, number> }[] = [];
  private readonly startedAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: Pids,
    intervalMs = SAMPLE_MS,
    private readonly keepSeries = false,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes a last sample and stops. */
  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const rss = readRss(this.pids);
    for (const [name, value] of Object.entries(rss)) {
      this.peak[name] = Math.max(this.peak[name] ?? 0, value);
    }
    if (this.keepSeries) this.series.push({ atSec: (Date.now() - this.startedAt) / 1000, rss });
  }
}

/**
 * Runs `load` (warm-up and measurement) with the processes' memory watched: idle once settled
 * before it, then the peak sampled during it and the kernel's high-water mark over it.
 */
export async function watchMemory<T>(
  pids: Pids,
  load: () => Promise<T>,
): Promise<{ result: T; memory: Memory }> {
  const idle = await settledRss(pids);
  const reset = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, resetHighWaterMark(pid)]),
  );
  const sampler = new RssSampler(pids);
  let result: T;
  try {
    result = await load();
  } finally {
    sampler.stop();
  }
  const memory: Memory = {};
  for (const [name, pid] of Object.entries(pids)) {
    memory[name] = {
      idleMiB: idle[name] ?? NaN,
      peakMiB: sampler.peak[name] ?? NaN,
      hwmMiB: reset[name] ? statusMiB(pid, 'VmHWM') : null,
    };
  }
  return { result, memory };
}
