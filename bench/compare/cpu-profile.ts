import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a process's CPU went, from the .cpuprofile `node --cpu-prof` wrote at its exit: self time
 * per function and per file (a package under node_modules counts as one file, named by the
 * package; the app's own files by their path below dist/), as a share of the samples, over a
 * window of wall-clock time (the measured load: not the start, not the warm-up).
 *
 * A profile's timestamps are V8's monotonic clock in µs, which on Linux is CLOCK_MONOTONIC, as is
 * process.hrtime() here: a wall-clock window is mapped onto it through this process's offset.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  /** Self time over the profile (ms). */
  ms: number;
  /** Its share of every sample, idle included (%). */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  /** The window's length, and the CPU sampled in it (not idle, not GC's own threads) (ms). */
  wallMs: number;
  busyMs: number;
  functions: SelfTime[];
  files: SelfTime[];
}

/** Wall-clock ms (Date.now()) as the profile's clock (monotonic µs). */
function monotonicMicros(wallMs: number): number {
  const offset = Date.now() * 1000 - Number(process.hrtime.bigint() / 1000n);
  return wallMs * 1000 - offset;
}

/**
 * The newest .cpuprofile in `dir`, summarised over `window` (ISO timestamps): the `top`
 * functions and files by self time.
 */
export function summariseProfile(
  dir: string,
  window: { start: string; end: string },
  top = 15,
): ProfileSummary {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  const file = join(dir, files.sort().at(-1) as string);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const from = monotonicMicros(Date.parse(window.start));
  const to = monotonicMicros(Date.parse(window.end));
  if (from < profile.startTime || to > profile.endTime + 1e6) {
    throw new Error(`${file} does not cover the measured window (clocks differ?)`);
  }
  const perNode = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= from && at <= to) perNode.set(id, (perNode.get(id) ?? 0) + delta);
  });
  const fns = new Map<string, number>();
  const paths = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of perNode) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    total += micros;
    if (functionName === '(idle)') idle += micros;
    // A RegExp's frame is named by its whole source: cut to a readable length.
    const name = (functionName || '(anonymous)').slice(0, 80);
    const fn = url ? `${name} ${scriptPath(url)}:${lineNumber + 1}` : name;
    fns.set(fn, (fns.get(fn) ?? 0) + micros);
    const where = url ? packageOf(url) : functionName;
    paths.set(where, (paths.get(where) ?? 0) + micros);
  }
  const rank = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: micros / 1000, percent: (100 * micros) / total }));
  return {
    file,
    wallMs: total / 1000,
    busyMs: (total - idle) / 1000,
    functions: rank(fns),
    files: rank(paths),
  };
}

/** A script's URL, short: from its package under node_modules, from dist/, or node:x. */
function scriptPath(url: string): string {
  const modules = /.*node_modules\/(.*)$/.exec(url);
  if (modules) return modules[1];
  const dist = /\/dist\/(.*)$/.exec(url);
  if (dist) return `dist/${dist[1]}`;
  return url.replace(/^file:\/\//, '');
}

/** The package a script belongs to (`pkg` under node_modules), or its short path. */
function packageOf(url: string): string {
  const modules = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return modules ? modules[1] : scriptPath(url);
}
